/** What `seedpay audit` (audit-command.ts) does: check the options, connect, reconcile with agent/audit, print. */
import { existsSync, statSync } from 'node:fs'
import type { Ledger } from '../ledger/index.ts'
import { toAddress, type Address } from '../pay/index.ts'
import { reconcile, auditTable, auditJson, type AuditSubject } from '../audit/index.ts'
import type { ChainFlags } from './chain-flags.ts'
import { feeCoin, type ChainSession } from './chain-options.ts'
import { chainNow } from './chain-time.ts'
import { checkAddress, withChain } from './command-helpers.ts'
import { CliError } from './errors.ts'
import { ledgerPathFor, readLedger } from './ledger-file.ts'

export interface AuditOptions extends ChainFlags { payee?: string, payer?: string, fromBlock?: string, json: boolean, fullAddresses: boolean }

/** `seedpay audit`. */
export async function audit (o: AuditOptions): Promise<void> {
  if (o.payee !== undefined && o.payer !== undefined) throw new CliError('pass --payee or --payer, not both', 'audit one side at a time', 2)
  const fromBlock = o.fromBlock === undefined ? undefined : Number(o.fromBlock)
  if (fromBlock !== undefined && (!Number.isSafeInteger(fromBlock) || fromBlock < 0)) throw new CliError(`--from-block must be a block number ≥ 0, got "${o.fromBlock}"`, 'fix --from-block', 2)
  const named: Named = o.payee !== undefined ? { payee: checkAddress('--payee', o.payee) } : o.payer !== undefined ? { payer: checkAddress('--payer', o.payer) } : null
  await withChain(o, 'optional', async s => { await runAudit(s, o, named, fromBlock) })
}

type Named = { payee: Address } | { payer: Address } | null

async function runAudit (s: ChainSession, o: AuditOptions, named: Named, fromBlock: number | undefined): Promise<void> {
  const account = named === null ? s.account : 'payee' in named ? named.payee : named.payer
  if (s.target.ledger === undefined && account === undefined) throw new CliError('no ledger to audit', 'pass --key <name> (your default ledger), --payee/--payer <address>, or --ledger <file>', 2)
  const ledgerPath = s.target.ledger ?? ledgerPathFor(s.target, account!)
  if (!existsSync(ledgerPath) || !statSync(ledgerPath).isFile()) throw new CliError(`no ledger file at ${ledgerPath}`, 'pass the agent\'s ledger with --ledger (a SQLite file)', 2)
  const ledger = readLedger(ledgerPath)!
  try {
    const escrow = toAddress(s.client.escrow)
    const subject: AuditSubject = named ?? (s.account !== undefined ? ownSide(ledger, s.chainId, escrow, s.account) : { payee: onlyPayee(ledger, s.chainId, escrow) })
    const report = await reconcile({ chain: s.client, ledger }, subject, { fromBlock: fromBlock ?? s.target.escrowBlock ?? 0, now: await chainNow(s.target) })
    if (o.json) {
      process.stdout.write(JSON.stringify(auditJson(report), null, 2) + '\n')
    } else {
      const who = 'payee' in report.subject ? `payee ${report.subject.payee}` : `payer ${report.subject.payer}`
      process.stdout.write(`audit of ${who} on escrow ${report.escrow} (chain ${report.chainId}), blocks ${report.fromBlock}–${report.toBlock}\n\n`)
      process.stdout.write(auditTable(report, { fullAddresses: o.fullAddresses, feeCoin: feeCoin(s.target) }) + '\n')
      process.stdout.write(report.ok ? '\n✓ the ledger matches the chain\n' : `\n✗ ${report.mismatches.length} mismatch(es) between the ledger, the events and the escrow\n`)
    }
    process.exitCode = report.ok ? 0 : 1
  } finally {
    ledger.close()
  }
}

/** The key's account audits its earnings if its ledger holds any receipts paid to it, else its payments. */
function ownSide (ledger: Ledger, chainId: bigint, escrow: Address, account: Address): AuditSubject {
  const mine = ledger.channels().filter(c => c.key.chainId === chainId && c.key.escrow === escrow)
  return mine.some(c => c.role === 'payee' && c.key.payee === account) ? { payee: account } : { payer: account }
}

/** The ledger's one payee on this escrow, when --payee is not given. */
function onlyPayee (ledger: Ledger, chainId: bigint, escrow: Address): Address {
  const payees = new Set(ledger.channels()
    .filter(c => c.role === 'payee' && c.key.chainId === chainId && c.key.escrow === escrow)
    .map(c => c.key.payee))
  const [only] = payees
  if (payees.size === 1 && only !== undefined) return only
  if (payees.size === 0) throw new CliError(`the ledger has no payee channels on escrow ${escrow} (chain ${chainId})`, 'pass --payee or --payer, or check --escrow and --ledger', 2)
  throw new CliError(`the ledger holds payee channels for ${payees.size} accounts`, `pass one with --payee (${[...payees].join(', ')})`, 2)
}
