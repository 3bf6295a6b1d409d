/** What a payer's pending moves put at risk, and when that is worth an urgent settlement (pure). */
import { expect } from 'chai'
import fc from 'fast-check'
import { amountAtRisk, assessRisk, backed, type PairState, type PayerAlerts } from '../../../agent/settle/risk.ts'
import type { Address } from '../../../agent/pay/index.ts'

const OLD = '0x00000000000000000000000000000000000000aa' as Address
const NEW = '0x00000000000000000000000000000000000000bb' as Address
const pair = (over: Partial<PairState>): PairState => ({ unsettled: 100n, lane: 0n, free: 0n, signedBy: NEW, ...over })

describe('settlement risk', () => {
  it('a receipt is backed by the lane first, then the free balance', () => {
    expect(backed(100n, 30n, 50n)).to.equal(80n)
    expect(backed(100n, 30n, 500n)).to.equal(100n)
    expect(backed(0n, 30n, 500n)).to.equal(0n)
  })

  it('a withdrawal puts at risk only what the rest of the free balance and the lane no longer back', () => {
    const w: PayerAlerts = { withdrawal: { amount: 10n, unlockAt: 1n } }
    expect(amountAtRisk(w, pair({ free: 1_000n }))).to.equal(0n) // a tiny request from a rich payer: nothing
    expect(amountAtRisk(w, pair({ free: 105n }))).to.equal(5n)
    expect(amountAtRisk({ withdrawal: { amount: 1_000n, unlockAt: 1n } }, pair({ free: 60n, lane: 30n }))).to.equal(60n) // the lane stays
    expect(amountAtRisk(w, pair({ unsettled: 0n, free: 5n }))).to.equal(0n) // nothing unsettled, nothing at risk
  })

  it('a lane release puts at risk what the free balance does not cover', () => {
    const r: PayerAlerts = { release: { amount: 80n, unlockAt: 1n } }
    expect(amountAtRisk(r, pair({ lane: 100n, free: 0n }))).to.equal(80n)
    expect(amountAtRisk(r, pair({ lane: 100n, free: 50n }))).to.equal(30n)
    // both at once: what remains of both
    expect(amountAtRisk({ ...r, withdrawal: { amount: 50n, unlockAt: 1n } }, pair({ lane: 100n, free: 50n }))).to.equal(80n)
  })

  it('a replaced signer puts at risk everything backed, but only if it signed our newest receipt', () => {
    const s: PayerAlerts = { signer: { previous: OLD, validUntil: 1n } }
    expect(amountAtRisk(s, pair({ signedBy: OLD, free: 1_000n }))).to.equal(100n)
    expect(amountAtRisk(s, pair({ signedBy: OLD, free: 40n }))).to.equal(40n) // the unbacked rest was lost already
    expect(amountAtRisk(s, pair({ signedBy: NEW, free: 1_000n }))).to.equal(0n)
    expect(amountAtRisk(s, pair({ signedBy: null, free: 1_000n }))).to.equal(0n)
  })

  it('is urgent only when at least one settlement\'s cost is at risk', () => {
    const w: PayerAlerts = { withdrawal: { amount: 1_000n, unlockAt: 1n } }
    expect(assessRisk(w, pair({ free: 1_000n }), 100n)).to.deep.equal({ unsettled: 100n, atRisk: 100n, urgent: true })
    expect(assessRisk(w, pair({ free: 1_000n }), 101n)).to.deep.equal({ unsettled: 100n, atRisk: 100n, urgent: false })
    expect(assessRisk(w, pair({ unsettled: 0n, free: 1_000n }), 0n).urgent).to.equal(false)
  })

  it('what is at risk never exceeds what is backed now, so an urgent settlement recovers at least its cost', () => {
    const amount = fc.bigInt(0n, 10_000n)
    const alerts = fc.record({
      withdrawal: fc.option(amount.map(a => ({ amount: a, unlockAt: 1n })), { nil: undefined }),
      release: fc.option(amount.map(a => ({ amount: a, unlockAt: 1n })), { nil: undefined }),
      signer: fc.option(fc.constant({ previous: OLD, validUntil: 1n }), { nil: undefined })
    }, { requiredKeys: [] })
    const state = fc.record({ unsettled: amount, lane: amount, free: amount, signedBy: fc.constantFrom(OLD, NEW, null) })
    fc.assert(fc.property(alerts, state, amount, (a, p, cost) => {
      const v = assessRisk(a, p, cost)
      expect(v.atRisk >= 0n && v.atRisk <= backed(p.unsettled, p.lane, p.free)).to.equal(true)
      if (v.urgent) expect(backed(p.unsettled, p.lane, p.free) >= cost).to.equal(true)
    }), { seed: 5, numRuns: 500 })
  })
})
