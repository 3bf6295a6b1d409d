/**
 * The pure settlement planner: which pairs a pass takes, how they are batched, and the backoff of failures.
 * No chain, no ledger: these run in milliseconds.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import {
  afterFailure, afterSuccess, chunks, plan, planProblems, retryDelay,
  type PlanCandidate, type PlanInput, type Thresholds, type Urgency, type UrgentReason
} from '../../../agent/settle/planner.ts'
import type { SettleReason } from '../../../agent/settle/events.ts'
import type { Address } from '../../../agent/pay/index.ts'

const addr = (i: number): Address => `0x${i.toString(16).padStart(40, '0')}`
const pair = (i: number, amount: bigint, paidOut = 0n, more: Partial<PlanCandidate> = {}): PlanCandidate =>
  ({ payer: addr(i), bytes: amount, amount, paidOut, ...more })
const input = (over: Partial<PlanInput>): PlanInput =>
  ({ pass: 'threshold', candidates: [], urgent: new Map(), minAmount: 100n, maxBatch: 100, now: 1_000, ...over })
const payersOf = (p: ReturnType<typeof plan>): Address[][] => p.batches.map(b => b.entries.map(e => e.payer))
const urgent = (entries: Array<[number, UrgentReason, number?, number?]>): Map<Address, Urgency> =>
  new Map(entries.map(([i, reason, failures = 0, retryAt = 0]) => [addr(i), { reason, failures, retryAt }]))

describe('settlement planner', () => {
  it('takes pairs at or over the threshold, counting only what the escrow has not paid', () => {
    const p = plan(input({ candidates: [pair(1, 150n), pair(2, 99n), pair(3, 250n, 200n), pair(4, 300n, 200n)] }))
    expect(payersOf(p)).to.deep.equal([[addr(1), addr(4)]])
    expect(p.batches[0]!.reason).to.equal('threshold')
    expect(p.deferred).to.deep.equal([addr(2), addr(3)])
  })

  it('reports fully paid pairs as settled and never takes them, even when urgent or forced', () => {
    for (const pass of ['threshold', 'shutdown', 'watchtower'] as const) {
      const p = plan(input({ pass, candidates: [pair(1, 100n, 100n), pair(2, 100n, 150n)], urgent: urgent([[1, 'watchtower']]) }))
      expect(p.batches).to.deep.equal([])
      expect(p.settled).to.deep.equal([addr(1), addr(2)])
    }
  })

  it('skips a payer with neither free balance nor lane; a lane alone funds it', () => {
    const p = plan(input({ pass: 'shutdown', candidates: [pair(1, 10n, 0n, { free: 0n }), pair(2, 10n, 0n, { free: 0n, lane: 5n }), pair(3, 10n)] }))
    expect(p.unfunded.map(c => c.payer)).to.deep.equal([addr(1)])
    expect(payersOf(p)).to.deep.equal([[addr(2), addr(3)]])
  })

  it('shutdown, manual and risk take everything (of `only`) whatever the threshold, under their own reason', () => {
    for (const pass of ['shutdown', 'manual', 'risk'] as const) {
      const p = plan(input({ pass, candidates: [pair(1, 1n), pair(2, 5n), pair(3, 7n)], urgent: urgent([[2, 'watchtower']]), only: new Set([addr(2), addr(3)]) }))
      expect(p.batches.map(b => [b.reason, b.entries.map(e => e.payer)])).to.deep.equal([[pass, [addr(3), addr(2)]]])
    }
  })

  it('an urgent pair goes whatever the threshold, in a batch of its reason, the most pressing first', () => {
    const p = plan(input({
      candidates: [pair(1, 500n), pair(2, 1n), pair(3, 2n), pair(4, 3n), pair(5, 200n)],
      urgent: urgent([[2, 'watchtower'], [3, 'signer'], [4, 'release']])
    }))
    expect(p.batches.map(b => [b.reason, b.entries.map(e => e.payer)])).to.deep.equal([
      ['signer', [addr(3)]], ['release', [addr(4)]], ['watchtower', [addr(2)]], ['threshold', [addr(1), addr(5)]]
    ])
  })

  it('an urgent-only pass (a watchtower kick) leaves pairs that are merely over the threshold for the timer', () => {
    const p = plan(input({ pass: 'watchtower', candidates: [pair(1, 500n), pair(2, 1n)], urgent: urgent([[2, 'watchtower']]) }))
    expect(payersOf(p)).to.deep.equal([[addr(2)]])
    expect(p.deferred).to.deep.equal([addr(1)])
  })

  it('a failed pair is retried once its backoff has passed, or by the retry pass itself', () => {
    const u = urgent([[1, 'retry', 2, 5_000]])
    const c = [pair(1, 1n)]
    expect(payersOf(plan(input({ candidates: c, urgent: u, now: 4_999 })))).to.deep.equal([])
    expect(plan(input({ candidates: c, urgent: u, now: 5_000 })).batches.map(b => b.reason)).to.deep.equal(['retry'])
    expect(payersOf(plan(input({ pass: 'retry', candidates: c, urgent: u, now: 0 })))).to.deep.equal([[addr(1)]])
    // over its threshold anyway: the timer takes it, backoff or not
    expect(plan(input({ candidates: [pair(1, 100n), pair(2, 100n)], urgent: u, now: 0 })).batches.map(b => b.reason)).to.deep.equal(['threshold'])
  })

  it('with fee thresholds, a pair due only alone must be worth a lone settle; two go as a batch at the batch rate', () => {
    const t: Thresholds = { lone: 570n, batched: 178n, lane: 140n }
    expect(payersOf(plan(input({ minAmount: t, candidates: [pair(1, 300n), pair(2, 10n)] })))).to.deep.equal([])
    expect(payersOf(plan(input({ minAmount: t, candidates: [pair(1, 600n)] })))).to.deep.equal([[addr(1)]])
    expect(payersOf(plan(input({ minAmount: t, candidates: [pair(1, 300n), pair(2, 180n), pair(3, 150n)] })))).to.deep.equal([[addr(1), addr(2)]])
    // a lane that covers the whole unsettled amount makes the receipt cheaper, so its bar is lower
    expect(payersOf(plan(input({ minAmount: t, candidates: [pair(1, 300n), pair(3, 150n, 0n, { lane: 150n })] })))).to.deep.equal([[addr(1), addr(3)]])
    // maxBatch 1: every settlement is a lone one
    expect(payersOf(plan(input({ minAmount: t, maxBatch: 1, candidates: [pair(1, 300n), pair(2, 600n)] })))).to.deep.equal([[addr(2)]])
  })

  it('splits into balanced batches of at most maxBatch, so no receipt is left to go alone', () => {
    expect(chunks([...Array(101).keys()], 100).map(c => c.length)).to.deep.equal([51, 50])
    expect(chunks([...Array(7).keys()], 3).map(c => c.length)).to.deep.equal([3, 2, 2])
    expect(chunks([], 3)).to.deep.equal([])
    const p = plan(input({ pass: 'shutdown', maxBatch: 2, candidates: [1, 2, 3, 4, 5].map(i => pair(i, BigInt(i))) }))
    expect(payersOf(p)).to.deep.equal([[addr(5), addr(4), addr(3)].slice(0, 2), [addr(3), addr(2)], [addr(1)]])
  })

  it('backs off exponentially, capped, and keeps a risk reason across failures', () => {
    const policy = { baseMs: 200, capMs: 1_000 }
    expect([0, 1, 2, 3, 4, 50, 5000].map(n => retryDelay(n, policy))).to.deep.equal([0, 200, 400, 800, 1_000, 1_000, 1_000])
    let u: Map<Address, Urgency> = urgent([[1, 'signer']])
    const first = afterFailure(u, [addr(1), addr(2)], 10_000, policy)
    expect(first.retryInMs).to.equal(200)
    expect(first.urgent.get(addr(1))).to.deep.equal({ reason: 'signer', failures: 1, retryAt: 10_200 })
    expect(first.urgent.get(addr(2))).to.deep.equal({ reason: 'retry', failures: 1, retryAt: 10_200 })
    u = afterFailure(first.urgent, [addr(2)], 20_000, policy).urgent
    expect(u.get(addr(2))).to.deep.equal({ reason: 'retry', failures: 2, retryAt: 20_400 })
    expect([...afterSuccess(u, [addr(2)]).keys()]).to.deep.equal([addr(1)])
  })

  describe('properties', () => {
    const reasons: SettleReason[] = ['threshold', 'shutdown', 'watchtower', 'release', 'signer', 'risk', 'retry', 'manual']
    const urgentReasons: UrgentReason[] = ['watchtower', 'release', 'signer', 'risk', 'retry']
    const candidate = fc.record({
      i: fc.integer({ min: 1, max: 40 }), // duplicates on purpose: a payer must still be taken once
      amount: fc.bigInt(0n, 1_000n),
      paidOut: fc.bigInt(0n, 1_000n),
      lane: fc.option(fc.bigInt(0n, 1_000n), { nil: undefined }),
      free: fc.option(fc.bigInt(0n, 1_000n), { nil: undefined })
    }).map(({ i, amount, paidOut, lane, free }) => pair(i, amount, paidOut, { ...(lane !== undefined ? { lane } : {}), ...(free !== undefined ? { free } : {}) }))
    const planInput = fc.record({
      pass: fc.constantFrom(...reasons),
      candidates: fc.array(candidate, { maxLength: 60 }),
      urgent: fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom(...urgentReasons), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2_000 })), { maxLength: 20 }),
      minAmount: fc.oneof(fc.bigInt(0n, 1_000n), fc.record({ lone: fc.bigInt(0n, 1_000n), batched: fc.bigInt(0n, 1_000n), lane: fc.bigInt(0n, 1_000n) })),
      maxBatch: fc.integer({ min: 1, max: 8 }),
      now: fc.integer({ min: 0, max: 2_000 }),
      only: fc.option(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 20 }), { nil: undefined })
    }).map(r => ({
      ...r,
      urgent: urgent(r.urgent),
      only: r.only === undefined ? undefined : new Set(r.only.map(addr))
    } satisfies Partial<PlanInput>)).map(r => input(r.only === undefined ? { ...r, only: undefined } : r))

    it('every chosen pair has something unsettled, batches ≤ maxBatch, urgent pairs are always chosen, none twice', () => {
      fc.assert(fc.property(planInput, i => {
        expect(planProblems(i, plan(i))).to.deep.equal([])
      }), { seed: 7, numRuns: 500 })
    })

    it('every candidate ends up in exactly one place: a batch, settled, unfunded or deferred', () => {
      fc.assert(fc.property(planInput, i => {
        const p = plan(i)
        const placed = [...p.batches.flatMap(b => b.entries.map(e => e.payer)), ...p.settled, ...p.unfunded.map(c => c.payer), ...p.deferred]
        const expected = new Set(i.candidates.map(c => c.payer).filter(a => i.only === undefined || i.only.has(a)))
        expect(placed.length).to.equal(expected.size)
        expect(new Set(placed)).to.deep.equal(expected)
      }), { seed: 11, numRuns: 300 })
    })
  })
})
