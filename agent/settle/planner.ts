/**
 * The settlement planner: which pairs to settle now, in which transactions, and when to try a failed one again.
 * Pure: no I/O, no timers, the clock passed in. The scheduler (the shell) reads the candidates from the ledger
 * and the chain, calls `plan`, hands each batch to the executor and feeds the outcome back through
 * `afterSuccess` / `afterFailure`.
 *
 * Rules, in order:
 * - a pair whose newest receipt the escrow has paid is never chosen (`settled`, its urgency is dropped);
 * - a pair whose payer has nothing to pay from (free balance and lane both 0) is never chosen (`unfunded`): its
 *   receipt would only bounce and burn energy;
 * - `shutdown`, `manual` and `risk` passes take every remaining pair (of `only`, if given), whatever the threshold;
 * - otherwise an urgent pair (watchtower, release, signer, risk) is always taken; a pair whose last attempt failed
 *   is taken once its backoff has passed (or by the retry pass itself); a `threshold` pass also takes the pairs
 *   whose unsettled amount is worth the energy of settling them (`Thresholds`).
 * Batches hold one reason each, at most `maxBatch` receipts, sizes balanced so no receipt is left to go alone.
 */
import type { Address } from '../pay/index.ts'
import type { SettleReason } from './events.ts'

/** Reasons a pair stays urgent between passes. */
export type UrgentReason = Extract<SettleReason, 'watchtower' | 'release' | 'signer' | 'risk' | 'retry'>

/** A pair the payee holds a receipt on. */
export interface PlanCandidate {
  payer: Address
  /** The newest receipt: cumulative bytes and amount. */
  bytes: bigint
  amount: bigint
  /** What the escrow has paid the pair. */
  paidOut: bigint
  /** What is left of the payer's lane for this payee, when read. */
  lane?: bigint
  /** The payer's free balance, when read; unknown counts as funded. */
  free?: bigint
}

export interface Urgency {
  reason: UrgentReason
  /** Failed attempts in a row. */
  failures: number
  /** Clock ms before which an ordinary pass does not retry a failed pair (0: no failure pending). */
  retryAt: number
}

/** Least unsettled amount worth a settlement, per way of sending it (token base units). */
export interface Thresholds {
  /** Sent alone with `settle` (~58k energy). */
  lone: bigint
  /** One receipt of a `settleBatch` (~17.8k energy at 50). */
  batched: bigint
  /** One receipt of a batch that its lane covers entirely (never touches the account slot, cheaper). */
  lane: bigint
}

export interface PlanInput {
  /** What started the pass. */
  pass: SettleReason
  candidates: readonly PlanCandidate[]
  urgent: ReadonlyMap<Address, Urgency>
  /** A flat amount (the operator's `minAmount`) or per-shape thresholds from the network's fee. */
  minAmount: bigint | Thresholds
  /** Most receipts per transaction (1..256). */
  maxBatch: number
  /** Clock ms. */
  now: number
  /** Only these payers (settleAll, settleNow). */
  only?: ReadonlySet<Address>
}

export interface PlannedBatch {
  reason: SettleReason
  entries: PlanCandidate[]
}

export interface Plan {
  batches: PlannedBatch[]
  /** Fully paid pairs: nothing to do, and no longer urgent. */
  settled: Address[]
  /** Pairs with something unsettled and nothing to pay it from. */
  unfunded: PlanCandidate[]
  /** Pairs with something unsettled not worth settling yet. */
  deferred: Address[]
}

export interface RetryPolicy {
  /** Delay after the first failure. */
  baseMs: number
  /** Longest delay. */
  capMs: number
}

/** Passes that settle everything they are given. */
const FORCED: ReadonlySet<SettleReason> = new Set(['shutdown', 'manual', 'risk'])
/** Batches go out most pressing first: a receipt that dies or loses its backing soonest leads. */
const PRIORITY: readonly SettleReason[] = ['risk', 'signer', 'release', 'watchtower', 'retry', 'shutdown', 'manual', 'threshold']

export const unsettledOf = (c: PlanCandidate): bigint => c.amount > c.paidOut ? c.amount - c.paidOut : 0n
export const laneCovers = (c: PlanCandidate): boolean => c.lane !== undefined && c.lane >= unsettledOf(c)
const funded = (c: PlanCandidate): boolean => c.free === undefined || c.free > 0n || (c.lane ?? 0n) > 0n

/** Thresholds for a flat amount: every way of sending has the same bar. */
export function flatThresholds (minAmount: bigint): Thresholds {
  return { lone: minAmount, batched: minAmount, lane: minAmount }
}

export function plan (input: PlanInput): Plan {
  const t = typeof input.minAmount === 'bigint' ? flatThresholds(input.minAmount) : input.minAmount
  const forced = FORCED.has(input.pass)
  const result: Plan = { batches: [], settled: [], unfunded: [], deferred: [] }
  const groups = new Map<SettleReason, PlanCandidate[]>()
  const byThreshold: PlanCandidate[] = []
  const seen = new Set<Address>()
  for (const c of input.candidates) {
    // a payer appears once per payee; a duplicate row would settle the same receipt twice
    if (seen.has(c.payer) || (input.only !== undefined && !input.only.has(c.payer))) continue
    seen.add(c.payer)
    if (unsettledOf(c) === 0n) { result.settled.push(c.payer); continue }
    if (!funded(c)) { result.unfunded.push(c); continue }
    const reason = forced ? input.pass : reasonFor(c, input)
    if (reason === null) { result.deferred.push(c.payer); continue }
    if (reason === 'threshold') { byThreshold.push(c); continue }
    push(groups, reason, c)
  }
  // a pair taken on its threshold alone goes out in a batch only if another one does too; alone it costs a `settle`
  const batchable = input.maxBatch > 1 && byThreshold.filter(c => unsettledOf(c) >= (laneCovers(c) ? t.lane : t.batched)).length > 1
  for (const c of byThreshold) {
    const bar = batchable ? (laneCovers(c) ? t.lane : t.batched) : t.lone
    if (unsettledOf(c) >= bar) push(groups, 'threshold', c)
    else result.deferred.push(c.payer)
  }
  for (const reason of PRIORITY) {
    const group = groups.get(reason)
    if (group === undefined) continue
    group.sort((a, b) => unsettledOf(b) > unsettledOf(a) ? 1 : unsettledOf(b) < unsettledOf(a) ? -1 : 0)
    for (const entries of chunks(group, input.maxBatch)) result.batches.push({ reason, entries })
  }
  return result
}

/** Why a non-forced pass takes the pair: its urgency, 'threshold' if it may be worth it, or null. */
function reasonFor (c: PlanCandidate, input: PlanInput): SettleReason | null {
  const u = input.urgent.get(c.payer)
  if (u !== undefined && u.reason !== 'retry') return u.reason
  if (u !== undefined && (input.pass === 'retry' || input.now >= u.retryAt)) return 'retry'
  return input.pass === 'threshold' ? 'threshold' : null
}

function push (groups: Map<SettleReason, PlanCandidate[]>, reason: SettleReason, c: PlanCandidate): void {
  const group = groups.get(reason)
  if (group === undefined) groups.set(reason, [c])
  else group.push(c)
}

/** Splits into ⌈n/max⌉ batches whose sizes differ by at most one (101 at 100 → 51 + 50, not 100 + 1). */
export function chunks<T> (items: readonly T[], max: number): T[][] {
  if (items.length === 0) return []
  const count = Math.ceil(items.length / max)
  const out: T[][] = []
  let start = 0
  for (let i = 0; i < count; i++) {
    const size = Math.floor(items.length / count) + (i < items.length % count ? 1 : 0)
    out.push(items.slice(start, start + size))
    start += size
  }
  return out
}

/** Exponential backoff: `baseMs · 2^(failures−1)`, at most `capMs`. */
export function retryDelay (failures: number, policy: RetryPolicy): number {
  if (failures < 1) return 0
  // 2^31 ms is 24 days: past any sane cap, and keeps the power finite
  return Math.min(policy.baseMs * 2 ** Math.min(failures - 1, 31), policy.capMs)
}

/** The urgent set after a batch failed: each payer keeps its risk reason (or becomes `retry`) and backs off. */
export function afterFailure (
  urgent: ReadonlyMap<Address, Urgency>, payers: readonly Address[], now: number, policy: RetryPolicy
): { urgent: Map<Address, Urgency>, retryInMs: number } {
  const next = new Map(urgent)
  let retryInMs = 0
  for (const payer of payers) {
    const u = urgent.get(payer)
    const failures = (u?.failures ?? 0) + 1
    const delay = retryDelay(failures, policy)
    retryInMs = Math.max(retryInMs, delay)
    next.set(payer, { reason: u === undefined ? 'retry' : u.reason, failures, retryAt: now + delay })
  }
  return { urgent: next, retryInMs }
}

/** The urgent set after these payers were paid (or found fully paid). */
export function afterSuccess (urgent: ReadonlyMap<Address, Urgency>, payers: Iterable<Address>): Map<Address, Urgency> {
  const next = new Map(urgent)
  for (const payer of payers) next.delete(payer)
  return next
}

/** Invariants a plan keeps; the empty list when it does (property tests; cheap enough to assert anywhere). */
export function planProblems (input: PlanInput, out: Plan): string[] {
  const problems: string[] = []
  const chosen = new Set<Address>()
  const byPayer = new Map<Address, PlanCandidate>()
  for (const c of input.candidates) if (!byPayer.has(c.payer)) byPayer.set(c.payer, c)
  for (const b of out.batches) {
    if (b.entries.length === 0 || b.entries.length > input.maxBatch) problems.push(`batch of ${b.entries.length} (max ${input.maxBatch})`)
    for (const e of b.entries) {
      if (chosen.has(e.payer)) problems.push(`${e.payer} chosen twice`)
      chosen.add(e.payer)
      if (unsettledOf(e) === 0n) problems.push(`${e.payer} chosen with nothing unsettled`)
      if (input.only !== undefined && !input.only.has(e.payer)) problems.push(`${e.payer} chosen outside only`)
    }
  }
  for (const [payer, u] of input.urgent) {
    const c = byPayer.get(payer)
    if (c === undefined || u.reason === 'retry' || unsettledOf(c) === 0n || !funded(c)) continue
    if (input.only !== undefined && !input.only.has(payer)) continue
    if (!chosen.has(payer)) problems.push(`urgent ${payer} (${u.reason}) not chosen`)
  }
  return problems
}
