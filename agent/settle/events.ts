/** Typed events of the settlement scheduler and its watchtower. */
import type { Address } from '../pay/index.ts'

/** Why a settlement was sent. */
export type SettleReason = 'threshold' | 'shutdown' | 'watchtower' | 'retry' | 'manual'

export interface SettleEntry {
  payer: Address
  /** The receipt sent: cumulative bytes and amount. */
  bytes: bigint
  amount: bigint
  /** What the escrow had already paid the pair before this settlement. */
  paidBefore: bigint
}

export interface SettlementEvents {
  /** A settlement transaction is about to be sent (one `settle`, or one `settleBatch` for several payers). */
  'settle:sent': { reason: SettleReason, payee: Address, batch: boolean, entries: SettleEntry[] }
  /** It was mined; `paid` is what the escrow transferred per payer (0 for a skipped batch entry). */
  'settle:confirmed': { reason: SettleReason, payee: Address, batch: boolean, txId: string, entries: SettleEntry[], paid: Map<Address, bigint>, total: bigint }
  /** It failed (recorded in the ledger as failed); it is retried after `retryInMs` (null: no retry scheduled). */
  'settle:failed': { reason: SettleReason, payee: Address, batch: boolean, entries: SettleEntry[], error: Error, retryInMs: number | null }
  /** One of our payers announced a withdrawal: its channels are settled at once, before `unlockAt`. */
  'watchtower:withdrawal': { payer: Address, amount: bigint, unlockAt: bigint, txId: string, blockNumber: number, unsettled: bigint }
}
