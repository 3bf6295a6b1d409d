/** Typed events of the settlement scheduler and its watchtower. */
import type { Address } from '../pay/index.ts'

/**
 * Why a settlement was sent. `threshold`: worth the energy; `watchtower`: the payer requested a withdrawal;
 * `release`: it asked to release its lane for us; `signer`: the key that signed our newest receipt was replaced
 * (its receipts die at `previousValidUntil`); `risk`: the payee's coverage view asked (`settleNow`); `retry`: an
 * earlier attempt failed; `shutdown`: `stop()`; `manual`: `settleAll`.
 */
export type SettleReason = 'threshold' | 'shutdown' | 'watchtower' | 'release' | 'signer' | 'risk' | 'retry' | 'manual'

export interface SettleEntry {
  payer: Address
  /** The receipt sent: cumulative bytes and amount. */
  bytes: bigint
  amount: bigint
  /** What the escrow had already paid the pair before this settlement. */
  paidBefore: bigint
}

/** What the watchtower weighed on an event: our unsettled amount, the part the event uncovered, and whether it acts. */
export interface RiskAssessment {
  /** Our newest receipt on the pair minus what the escrow paid it (0 when we hold no receipt yet). */
  unsettled: bigint
  /** The part of `unsettled` that was backed before the event and is not after it. */
  atRisk: bigint
  /** `atRisk` ≥ the cost of one settlement: the pair is settled at once. Otherwise it waits for its threshold. */
  urgent: boolean
}

interface Logged { txId: string, blockNumber: number }

export interface SettlementEvents {
  /** A settlement transaction is about to be sent (one `settle`, or one `settleBatch` for several payers). */
  'settle:sent': { reason: SettleReason, payee: Address, batch: boolean, entries: SettleEntry[] }
  /**
   * It was mined; `paid` is what the escrow transferred per payer (0 for a skipped batch entry); `gasUsed` (TRON:
   * energy) and `fee` (in the chain's coin: sun on TRON, wei on an EVM chain) are the whole transaction's.
   */
  'settle:confirmed': { reason: SettleReason, payee: Address, batch: boolean, txId: string, entries: SettleEntry[], paid: Map<Address, bigint>, total: bigint, gasUsed: bigint, fee: bigint }
  /** It failed (recorded in the ledger as failed); it is retried after `retryInMs` (null: no retry scheduled). */
  'settle:failed': { reason: SettleReason, payee: Address, batch: boolean, entries: SettleEntry[], error: Error, retryInMs: number | null }
  /** A watched payer requested a withdrawal of `amount` from its free balance. */
  'watchtower:withdrawal': Logged & RiskAssessment & { payer: Address, amount: bigint, unlockAt: bigint }
  /** A watched payer asked to release `amount` of its lane for us. */
  'watchtower:release': Logged & RiskAssessment & { payer: Address, amount: bigint, unlockAt: bigint }
  /** A watched payer replaced the key that signed our newest receipt; that key's receipts die at `previousValidUntil`. */
  'watchtower:signer': Logged & RiskAssessment & { payer: Address, previous: Address, previousValidUntil: bigint }
}
