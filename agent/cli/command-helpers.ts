/** What the money commands' actions (account-actions.ts, lane-actions.ts, audit-action.ts) share: connect, print, validate. */
import { toEvmAddress } from '../chain/tron-address.ts' // not ../chain/index.ts: see chain-options.ts
import { toAddress, type Address } from '../pay/index.ts'
import { explainChainError } from './chain-errors.ts'
import type { ChainFlags, Out } from './chain-flags.ts'
import { loadAccount, loadKey, openChain, resolveChainFlags, type ChainSession } from './chain-options.ts'
import { CliError } from './errors.ts'

/**
 * What a command needs of the key: `sign` (it sends transactions: the key itself, decrypted), `address` (it reads
 * one account: its address, no passphrase asked), `optional` (an account if one is named).
 */
export type KeyUse = 'sign' | 'address' | 'optional'

/** Validates the chain flags and key, connects, runs `fn`, turns chain errors into CliErrors, disconnects. */
export async function withChain (flags: ChainFlags, use: KeyUse, fn: (s: ChainSession) => Promise<void>): Promise<void> {
  const target = resolveChainFlags(flags)
  const key = use === 'sign' ? await loadKey(target.keyFile, '--key-file', target) : undefined
  const account = use === 'sign' ? undefined : await loadAccount(target.keyFile, target)
  if ((use === 'sign' && key === undefined) || (use === 'address' && account === undefined)) {
    throw new CliError('this command needs your account\'s key', 'pass --key <name> (see `seedpay key list`), --key-file <path> (hex or keystore), or set SEEDPAY_KEY', 2)
  }
  let session: ChainSession | undefined
  try {
    session = await openChain(target, key)
    if (account !== undefined) session.account = account
    await fn(session)
  } catch (err) {
    throw explainChainError(err)
  } finally {
    session?.close()
  }
}

export function print (o: Out, result: Record<string, unknown>, text: string): void {
  process.stdout.write(o.json ? JSON.stringify(result, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v) + '\n' : text + '\n')
}

export function checkAddress (what: string, text: string): Address {
  try { return toAddress(toEvmAddress(text)) } catch {
    throw new CliError(`${what} "${text}" is not an address`, 'write it as 0x followed by 40 hex digits, or as a T… base58 address', 2)
  }
}

export function iso (unix: bigint): string {
  return new Date(Number(unix) * 1000).toISOString().replace('.000Z', 'Z')
}

export function txLines (txIds: Record<string, string>): string {
  return Object.entries(txIds).map(([k, v]) => `${k} tx ${v}`).join(', ')
}
