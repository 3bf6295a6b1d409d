/**
 * Per-pair totals rebuilt from the escrow's events alone: what each (payer, payee) pair was paid, the newest
 * receipt the escrow cashed for it, and what is still owed after a bounce. `Settled` events include the records
 * of `BatchSettled` logs (agent/chain expands them), so batches and single settlements count the same way.
 */
import type { EscrowEvent } from '../chain/index.ts'
import { toAddress, type Address } from '../pay/index.ts'

export interface ChainPair {
  payer: Address
  payee: Address
  /** Σ `paid` over the pair's Settled events. */
  paid: bigint
  /** The newest receipt the escrow cashed (largest cumulative amount; its bytes). */
  bytes: bigint
  amount: bigint
  /** Owed but unpaid after the pair's latest settlement (its Bounced `unpaid`; 0 if it was paid in full). */
  bounced: bigint
  settlements: number
  bounces: number
  /** Transactions that paid the pair, oldest first. */
  txIds: string[]
}

export const pairId = (payer: string, payee: string): string => `${payer.toLowerCase()}→${payee.toLowerCase()}`

/** Folds events (in chain order) into per-pair totals, keyed by `pairId`. */
export function chainTotals (events: readonly EscrowEvent[], keep: (payer: Address, payee: Address) => boolean = () => true): Map<string, ChainPair> {
  const pairs = new Map<string, ChainPair & { lastTx: string }>()
  const pairOf = (payerRaw: string, payeeRaw: string, txId: string): (ChainPair & { lastTx: string }) | null => {
    const payer = toAddress(payerRaw)
    const payee = toAddress(payeeRaw)
    if (!keep(payer, payee)) return null
    const id = pairId(payer, payee)
    let p = pairs.get(id)
    if (p === undefined) {
      p = { payer, payee, paid: 0n, bytes: 0n, amount: 0n, bounced: 0n, settlements: 0, bounces: 0, txIds: [], lastTx: '' }
      pairs.set(id, p)
    }
    // a new settlement of the pair: what bounced before is covered unless this one bounces too. Within one
    // transaction a batch logs Bounced before its records, a single settle after Settled: order-independent.
    if (p.lastTx !== txId) { p.bounced = 0n; p.lastTx = txId }
    return p
  }
  for (const e of events) {
    if (e.name === 'Settled') {
      const p = pairOf(e.payer, e.payee, e.txId)
      if (p === null) continue
      p.paid += e.paid
      p.settlements++
      if (e.cumulativeAmount >= p.amount) { p.amount = e.cumulativeAmount; p.bytes = e.cumulativeBytes }
      if (p.txIds.at(-1) !== e.txId) p.txIds.push(e.txId)
    } else if (e.name === 'Bounced') {
      const p = pairOf(e.payer, e.payee, e.txId)
      if (p === null) continue
      p.bounced = e.unpaid
      p.bounces++
    }
  }
  const out = new Map<string, ChainPair>()
  for (const [id, { lastTx: _lastTx, ...p }] of pairs) out.set(id, p)
  return out
}
