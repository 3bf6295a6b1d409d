/**
 * Settles one channel's newest receipt through an EscrowClient and records the attempt in the ledger
 * (pending → sent with its tx id → confirmed with what the escrow paid, or failed). Cumulative receipts
 * make a retry harmless: the escrow pays only the difference to what it already paid the pair.
 */
import { hexlify } from 'ethers'
import type { EscrowClient } from '../chain/index.ts'
import type { ChannelKey, Ledger } from '../ledger/index.ts'
import type { Address } from '../pay/index.ts'

export interface SettleOutcome {
  attempt: number
  txId: string
  /** What the escrow transferred for this receipt (0 if it was already paid). */
  paid: bigint
  /** The transaction's gas (TRON: energy) and fee in the chain's coin (sun or wei). */
  gasUsed: bigint
  fee: bigint
}

/**
 * Splits a batch transaction's cost among its `n` entries, so that the ledger's per-settlement figures add up to
 * the transaction's: equal shares, the first entry taking the remainder.
 */
export function shareOf (total: bigint, n: number, index: number): bigint {
  const share = total / BigInt(n)
  return index === 0 ? total - share * BigInt(n - 1) : share
}

export async function settleChannel (
  components: { ledger: Ledger, chain: EscrowClient },
  key: ChannelKey,
  options: { signal?: AbortSignal } = {}
): Promise<SettleOutcome | null> {
  const { ledger, chain } = components
  const newest = ledger.newest(key)
  if (newest === null) return null
  const attempt = ledger.beginSettlement(key, newest)
  try {
    const result = await chain.settle({
      payer: key.payer, payee: key.payee, cumulativeBytes: newest.bytes, cumulativeAmount: newest.amount
    }, hexlify(newest.sig), options)
    let paid = 0n
    for (const e of result.events) {
      if (e.name === 'Settled' && e.payer.toLowerCase() === key.payer && e.payee.toLowerCase() === key.payee) paid += e.paid
    }
    ledger.updateSettlement(attempt, { status: 'confirmed', txId: result.txId, paid, gasUsed: result.gasUsed, fee: result.fee })
    return { attempt, txId: result.txId, paid, gasUsed: result.gasUsed, fee: result.fee }
  } catch (err) {
    ledger.updateSettlement(attempt, { status: 'failed', error: err instanceof Error ? err.message : String(err) })
    throw err
  }
}

/**
 * Settles the newest receipts of many channels paying `payee` in one `settleBatch` (one token transfer).
 * Every channel gets its own attempt row with the batch's tx id and what the escrow paid it; a stale, wrongly
 * signed or unfunded entry is skipped by the escrow and recorded as confirmed with 0 paid.
 * @returns what each channel was paid, keyed by payer
 */
export async function settleChannels (
  components: { ledger: Ledger, chain: EscrowClient },
  payee: Address,
  keys: readonly ChannelKey[],
  options: { signal?: AbortSignal } = {}
): Promise<{ txId: string, paid: Map<Address, bigint>, gasUsed: bigint, fee: bigint } | null> {
  const { ledger, chain } = components
  const entries = keys.flatMap(key => {
    const newest = ledger.newest(key)
    return newest === null || key.payee !== payee ? [] : [{ key, newest, attempt: ledger.beginSettlement(key, newest) }]
  })
  if (entries.length === 0) return null
  try {
    const result = await chain.settleBatch(payee, entries.map(({ key, newest }) => ({
      receipt: { payer: key.payer, payee: key.payee, cumulativeBytes: newest.bytes, cumulativeAmount: newest.amount },
      signature: hexlify(newest.sig)
    })), options)
    const paid = new Map<Address, bigint>()
    for (const e of result.events) {
      if (e.name !== 'Settled' || e.payee.toLowerCase() !== payee) continue
      const payer = e.payer.toLowerCase() as Address
      paid.set(payer, (paid.get(payer) ?? 0n) + e.paid)
    }
    entries.forEach(({ key, attempt }, i) => {
      ledger.updateSettlement(attempt, {
        status: 'confirmed',
        txId: result.txId,
        paid: paid.get(key.payer) ?? 0n,
        gasUsed: shareOf(result.gasUsed, entries.length, i),
        fee: shareOf(result.fee, entries.length, i)
      })
    })
    return { txId: result.txId, paid, gasUsed: result.gasUsed, fee: result.fee }
  } catch (err) {
    for (const { attempt } of entries) ledger.updateSettlement(attempt, { status: 'failed', error: err instanceof Error ? err.message : String(err) })
    throw err
  }
}
