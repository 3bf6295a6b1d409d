/**
 * Settles one channel's newest receipt through an EscrowClient and records the attempt in the ledger
 * (pending → sent with its tx id → confirmed with what the escrow paid, or failed). Cumulative receipts
 * make a retry harmless: the escrow pays only the difference to what it already paid the pair.
 */
import { hexlify } from 'ethers'
import type { EscrowClient } from '../chain/client.ts'
import type { ChannelKey, Ledger } from '../ledger/index.ts'

export interface SettleOutcome {
  attempt: number
  txId: string
  /** What the escrow transferred for this receipt (0 if it was already paid). */
  paid: bigint
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
    ledger.updateSettlement(attempt, { status: 'confirmed', txId: result.txId, paid })
    return { attempt, txId: result.txId, paid }
  } catch (err) {
    ledger.updateSettlement(attempt, { status: 'failed', error: err instanceof Error ? err.message : String(err) })
    throw err
  }
}
