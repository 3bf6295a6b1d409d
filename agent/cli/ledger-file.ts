/**
 * Which SQLite ledger a command uses, and opening it as the account it runs for.
 *
 * One ledger per (network, local account) by default: `<home>/ledger-<network>-<account>.sqlite`. A seeder and a
 * downloader with different keys on one machine then never share a file (they used to meet on one channel from
 * both sides and fail on every connection); one account that both seeds and downloads keeps one file, its
 * channels as payee and as payer side by side. A ledger from before this rule (`ledger-<network>.sqlite`) stays in
 * use for the account whose receipts it holds, so no receipt is left behind.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Ledger, LedgerOwnerMismatchError, LedgerSchemaTooNewError } from '../ledger/index.ts'
import type { Address } from '../pay/index.ts'
import { CliError } from './errors.ts'
import { seedpayHome } from '../util/home.ts'

/** `--ledger` if given, else this account's default on this network. */
export function ledgerPathFor (target: { network: string, ledger?: string }, account: Address): string {
  if (target.ledger !== undefined) return target.ledger
  const legacy = join(seedpayHome(), `ledger-${target.network}.sqlite`)
  if (existsSync(legacy) && legacyBelongsTo(legacy, account)) return legacy
  return join(seedpayHome(), `ledger-${target.network}-${account}.sqlite`)
}

/** A pre-ownership default ledger is this account's when it already says so, or when its channels are all ours. */
function legacyBelongsTo (path: string, account: Address): boolean {
  let ledger: Ledger | undefined
  try {
    ledger = new Ledger({}, { path })
    const owner = ledger.owner()
    if (owner !== null) return owner === account
    const channels = ledger.channels()
    return channels.length > 0 && channels.every(c => (c.role === 'payer' ? c.key.payer : c.key.payee) === account)
  } catch {
    return false
  } finally {
    ledger?.close()
  }
}

/**
 * Opens (creating it and its folder if needed) the ledger at `path` as `account`'s.
 * @throws CliError exit 2 when the file belongs to another account or cannot be opened
 */
export function openOwnLedger (path: string, account: Address): Ledger {
  try {
    mkdirSync(dirname(path), { recursive: true })
    return new Ledger({}, { path, owner: account })
  } catch (err) {
    throw ledgerError(path, err, account)
  }
}

/** Opens an existing ledger to read it (any owner); null when there is no such file. */
export function readLedger (path: string): Ledger | null {
  if (!existsSync(path)) return null
  try {
    return new Ledger({}, { path })
  } catch (err) {
    throw ledgerError(path, err)
  }
}

function ledgerError (path: string, err: unknown, account?: Address): CliError {
  if (err instanceof LedgerOwnerMismatchError) {
    return new CliError(`${err.message}: one ledger serves one account, as payer and as payee`,
      `run this account with its own ledger: drop --ledger (its default is ${join(seedpayHome(), `ledger-<network>-${account ?? err.requested}.sqlite`)}), or pass another --ledger file`, 2)
  }
  if (err instanceof LedgerSchemaTooNewError) return new CliError(`the ledger ${path}: ${err.message}`, 'install the newer seedpay that wrote it', 2)
  return new CliError(`cannot open the ledger ${path}: ${(err as Error).message}`, 'pass a writable SQLite file path with --ledger', 2)
}
