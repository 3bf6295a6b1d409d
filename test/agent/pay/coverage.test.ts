import { expect } from 'chai'
import fc from 'fast-check'
import { coverageOf, coveredBytes, covers, settlementGain, settlingHelps, NO_EXIT, type PairBacking } from '../../../agent/pay/coverage.ts'
import { MIB } from '../../../agent/pay/price.ts'

const NOW = 1_000_000n
const limits = { exposureLimit: 10n, withdrawalWindow: 3600n, nowSeconds: NOW }
const backing = (b: Partial<PairBacking>): PairBacking => ({ free: 0n, lane: 0n, paidOut: 0n, withdrawal: NO_EXIT, release: NO_EXIT, ...b })

describe('coverage', () => {
  it('trusts the lane fully and the free balance up to the exposure limit', () => {
    expect(coverageOf(backing({ free: 100n, lane: 40n }), limits)).to.deep.equal({ lane: 40n, free: 10n, total: 50n })
    expect(coverageOf(backing({ free: 3n, lane: 0n }), limits)).to.deep.equal({ lane: 0n, free: 3n, total: 3n })
  })

  it('does not count money announced to leave: a pending withdrawal or lane release', () => {
    const b = backing({ free: 15n, lane: 40n, withdrawal: { amount: 10n, unlockAt: NOW + 60n }, release: { amount: 30n, unlockAt: NOW + 60n } })
    expect(coverageOf(b, limits)).to.deep.equal({ lane: 10n, free: 5n, total: 15n })
  })

  it('counts an expired request (past its window) as gone: it can no longer be executed', () => {
    const b = backing({ free: 15n, withdrawal: { amount: 10n, unlockAt: NOW - 3600n } })
    expect(coverageOf(b, limits).free).to.equal(10n)
  })

  it('trusts no free balance when the view is stale', () => {
    expect(coverageOf(backing({ free: 100n, lane: 5n }), { ...limits, stale: true })).to.deep.equal({ lane: 5n, free: 0n, total: 5n })
  })

  it('serves a block only if unsettled receipts plus everything served ahead of them stay covered', () => {
    const b = backing({ lane: 100n, paidOut: 20n })
    const c = coverageOf(b, { ...limits, exposureLimit: 0n })
    // unsettled 80 + price of (unpaid + block) at 10 per MiB
    expect(covers(c, b, { receiptAmount: 100n, unpaidBytes: MIB, pricePerMiB: 10n }, MIB)).to.equal(true) // 80 + 20
    expect(covers(c, b, { receiptAmount: 100n, unpaidBytes: MIB, pricePerMiB: 10n }, MIB + 1n)).to.equal(false)
  })

  it('coveredBytes is the exact reach of covers: a block is covered iff unpaid + length is within it', () => {
    const amount = fc.bigInt({ min: 0n, max: 10n ** 21n })
    fc.assert(fc.property(amount, amount, amount, amount, fc.bigInt({ min: 0n, max: 1n << 40n }), fc.integer({ min: 0, max: 1 << 17 }),
      fc.oneof(fc.constant(0n), fc.constant(1n), fc.bigInt({ min: 0n, max: 10n ** 18n })),
      (free, lane, paidOut, receiptAmount, unpaidBytes, length, pricePerMiB) => {
        const b = backing({ free, lane, paidOut })
        const c = coverageOf(b, { ...limits, exposureLimit: 10n ** 20n })
        const e = { receiptAmount, unpaidBytes, pricePerMiB }
        const reach = coveredBytes(c, b, e)
        expect(covers(c, b, e, BigInt(length))).to.equal(reach === null || unpaidBytes + BigInt(length) <= reach)
      }), { numRuns: 2000 })
    // and at the boundary: the price of the reach fits, one byte more does not
    const b = backing({ lane: 100n, paidOut: 20n })
    const c = coverageOf(b, { ...limits, exposureLimit: 0n })
    const reach = coveredBytes(c, b, { receiptAmount: 100n, pricePerMiB: 10n })!
    expect(covers(c, b, { receiptAmount: 100n, unpaidBytes: 0n, pricePerMiB: 10n }, reach)).to.equal(true)
    expect(covers(c, b, { receiptAmount: 100n, unpaidBytes: 0n, pricePerMiB: 10n }, reach + 1n)).to.equal(false)
    expect(coveredBytes(c, b, { receiptAmount: 100n, pricePerMiB: 0n })).to.equal(null)
    expect(coveredBytes(c, b, { receiptAmount: 121n, pricePerMiB: 10n })).to.equal(-1n)
  })

  it('settles only when the free balance carries part of what is owed', () => {
    const b = backing({ lane: 50n, free: 100n })
    expect(settlingHelps(b, { receiptAmount: 50n }, limits)).to.equal(false)
    expect(settlingHelps(b, { receiptAmount: 55n }, limits)).to.equal(true)
  })

  // settling pays what rests on the free balance out of it: where the balance (not the limit) bounds the trust,
  // what is trusted and what is owed fall together and the transaction buys no headroom
  it('settling frees headroom only where the exposure limit, not the balance, bounds the free part', () => {
    expect(settlementGain(backing({ free: 8n }), { receiptAmount: 8n }, limits)).to.equal(0n)
    expect(settlingHelps(backing({ free: 10n }), { receiptAmount: 7n }, limits)).to.equal(false)
    expect(settlementGain(backing({ free: 13n }), { receiptAmount: 7n }, limits)).to.equal(3n)
    expect(settlementGain(backing({ free: 100n }), { receiptAmount: 7n }, limits)).to.equal(7n)
    // a pending withdrawal is money already leaving: 13 − 5 is below the limit
    expect(settlementGain(backing({ free: 13n, withdrawal: { amount: 5n, unlockAt: NOW + 60n } }), { receiptAmount: 7n }, limits)).to.equal(0n)
  })

  it('the gain of settling is exactly the headroom it adds (property)', () => {
    fc.assert(fc.property(fc.bigInt(0n, 1000n), fc.bigInt(0n, 1000n), fc.bigInt(0n, 1000n), fc.bigInt(0n, 100n), (free, lane, owed, exposureLimit) => {
      const l = { ...limits, exposureLimit }
      const b = backing({ free, lane })
      // the escrow pays the lane first, then the free balance, and no more than both hold
      const paid = owed < lane + free ? owed : lane + free
      const fromLane = paid < lane ? paid : lane
      const after = backing({ free: free - (paid - fromLane), lane: lane - fromLane, paidOut: paid })
      const headroom = (x: PairBacking): bigint => coverageOf(x, l).total - (owed - x.paidOut)
      const gain = settlementGain(b, { receiptAmount: paid }, l)
      expect(headroom(after) - headroom(b)).to.equal(gain)
    }), { seed: 5, numRuns: 500 })
  })

  it('never covers more than the lane plus the exposure limit (property)', () => {
    fc.assert(fc.property(fc.bigInt(0n, 10n ** 20n), fc.bigInt(0n, 10n ** 20n), fc.bigInt(0n, 10n ** 20n), fc.bigInt(0n, 10n ** 20n), (free, lane, w, exposureLimit) => {
      const c = coverageOf(backing({ free, lane, withdrawal: { amount: w, unlockAt: NOW } }), { ...limits, exposureLimit })
      expect(c.total <= lane + exposureLimit).to.equal(true)
      expect(c.free <= free).to.equal(true)
    }), { seed: 3, numRuns: 300 })
  })
})
