/**
 * What backs a payer's receipts, as a payee sees it, and whether one more block may be served on it.
 * Pure arithmetic: the view is filled from the chain and its events elsewhere (agent/payment/coverage-book.ts).
 *
 * The rule (docs/risk.md): a payee's unsettled receipts plus what it serves ahead of them must stay within
 * `lane + min(free, exposureLimit)`. The lane is money only this payee's receipts can take, and it leaves only
 * through a delayed, announced release; the free balance can vanish in one transaction (the payer settles a
 * receipt to a second account it owns), so only `exposureLimit` of it is trusted.
 */
import { MIB, amountFor } from './price.ts'

/** A pending withdrawal or lane release: `unlockAt` (unix seconds) 0 when none. */
export interface PendingExit {
  amount: bigint
  unlockAt: bigint
}

export const NO_EXIT: PendingExit = Object.freeze({ amount: 0n, unlockAt: 0n })

/** The escrow's state for one (payer, payee) pair, as last read or rebuilt from events. */
export interface PairBacking {
  /** The payer's free balance (`balanceOf`): any payee's receipt can take it. */
  free: bigint
  /** The payer's lane for this payee (`laneOf(...).lane`). */
  lane: bigint
  /** What the escrow has paid this pair so far (`paidOut`). */
  paidOut: bigint
  /** A pending `requestWithdrawal` of the payer. */
  withdrawal: PendingExit
  /** A pending `requestRelease` of this lane. */
  release: PendingExit
}

export interface CoverageLimits {
  /** How much of the payer's free balance the payee trusts (token base units). */
  exposureLimit: bigint
  /** The free balance counts as 0 when the view is older than the staleness bound. @default false */
  stale?: boolean
  /** Seconds after unlockAt during which a withdrawal can still be executed (the escrow's window). */
  withdrawalWindow: bigint
  /** Chain time now (unix seconds), to drop expired requests. */
  nowSeconds: bigint
}

/** How a payer's unsettled receipts are covered. All amounts in token base units. */
export interface Coverage {
  /** The lane less a pending release of it (it may leave once unlocked). */
  lane: bigint
  /** The trusted part of the free balance: min(free less a pending withdrawal, exposure limit); 0 when stale. */
  free: bigint
  /** lane + free. */
  total: bigint
}

/** A request that can no longer be executed (past its window) no longer threatens anything. */
function live (exit: PendingExit, limits: CoverageLimits): bigint {
  if (exit.unlockAt === 0n) return 0n
  if (limits.nowSeconds >= exit.unlockAt + limits.withdrawalWindow) return 0n
  return exit.amount
}

const sub = (a: bigint, b: bigint): bigint => (a > b ? a - b : 0n)
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b)

export function coverageOf (b: PairBacking, limits: CoverageLimits): Coverage {
  const lane = sub(b.lane, live(b.release, limits))
  const free = limits.stale === true ? 0n : min(sub(b.free, live(b.withdrawal, limits)), limits.exposureLimit)
  return { lane, free, total: lane + free }
}

/** What a payee is owed and about to be owed on one pair. */
export interface PairExposure {
  /** The newest receipt's cumulative amount. */
  receiptAmount: bigint
  /** Bytes served and not yet covered by a receipt. */
  unpaidBytes: bigint
  pricePerMiB: bigint
}

/** Unsettled receipts: what the newest receipt is worth beyond what the escrow already paid. */
export function unsettledOf (b: PairBacking, e: Pick<PairExposure, 'receiptAmount'>): bigint {
  return sub(e.receiptAmount, b.paidOut)
}

/**
 * Whether `length` more bytes may be served: unsettled receipts + the price of every byte served ahead of them
 * (this block included) stay within the coverage.
 */
export function covers (coverage: Coverage, backing: PairBacking, e: PairExposure, length: bigint): boolean {
  const owed = unsettledOf(backing, e) + amountFor(e.unpaidBytes + length, e.pricePerMiB)
  return owed <= coverage.total
}

/**
 * The most unpaid bytes (the next block included) that `covers` allows on this receipt: with the same backing,
 * receipt and price, a block is covered exactly when `unpaidBytes + length` is at most this. -1 when nothing is
 * (the receipts alone exceed the coverage); null when there is no bound (price 0, receipts covered). Lets a payee
 * answer the blocks after a decision with one comparison instead of the arithmetic of `covers` per block.
 */
export function coveredBytes (coverage: Coverage, backing: PairBacking, e: Omit<PairExposure, 'unpaidBytes'>): bigint | null {
  const room = coverage.total - unsettledOf(backing, e)
  if (room < 0n) return -1n
  if (e.pricePerMiB === 0n) return null
  // ceil(U × price / MiB) <= room  <=>  U × price <= room × MiB  (room an integer)
  return room * MIB / e.pricePerMiB
}

/**
 * How much headroom settling the newest receipt now would add. A settlement takes from the lane first (lane and
 * what is owed fall together: the same headroom), then from the free balance. Paying X from the free balance frees
 * exposure only where the exposure limit, not the balance, bounds what is trusted: with a free balance F at or
 * below the limit, F and what is owed both fall by X, and the transaction buys nothing. So the gain is
 * min(what rests on the free balance, F − exposure limit), F less a pending withdrawal.
 */
export function settlementGain (backing: PairBacking, e: Pick<PairExposure, 'receiptAmount'>, limits: CoverageLimits): bigint {
  const lane = sub(backing.lane, live(backing.release, limits))
  const onFree = sub(unsettledOf(backing, e), lane)
  const free = sub(backing.free, live(backing.withdrawal, limits))
  return min(onFree, sub(free, limits.exposureLimit))
}

/**
 * When coverage runs out: settling helps only if it frees headroom (settlementGain > 0). Otherwise the payer must
 * reserve or deposit; if what it owes has used up its free balance, what rests there is cashed (payee-coverage.ts).
 */
export function settlingHelps (backing: PairBacking, e: Pick<PairExposure, 'receiptAmount'>, limits: CoverageLimits): boolean {
  return settlementGain(backing, e, limits) > 0n
}
