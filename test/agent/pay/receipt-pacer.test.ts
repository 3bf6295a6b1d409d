import { expect } from 'chai'
import fc from 'fast-check'
import { paceReceipt, RECEIPT_INTERVAL_MS } from '../../../agent/pay/index.ts'

describe('paceReceipt', () => {
  it('signs at once a step or more, whenever the last receipt was', () => {
    expect(paceReceipt({ owed: 100n, step: 100n, lastAt: 1000, now: 1000 })).to.equal('now')
  })

  it('holds less than a step until an interval after the last receipt', () => {
    expect(paceReceipt({ owed: 99n, step: 100n, lastAt: 1000, now: 1005 })).to.equal(1000 + RECEIPT_INTERVAL_MS)
    expect(paceReceipt({ owed: 99n, step: 100n, lastAt: 1000, now: 1000 + RECEIPT_INTERVAL_MS })).to.equal('now')
    expect(paceReceipt({ owed: 1n, step: 100n, lastAt: -Infinity, now: 0 })).to.equal('now')
  })

  it('is idle with nothing owed', () => {
    expect(paceReceipt({ owed: 0n, step: 100n, lastAt: 0, now: 1e9 })).to.equal('idle')
  })

  it('never waits past one interval and never signs less than a step within one (property)', () => {
    fc.assert(fc.property(fc.bigInt(1n, 1n << 40n), fc.bigInt(1n, 1n << 40n), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 1000 }),
      (owed, step, lastAt, dt, interval) => {
        const d = paceReceipt({ owed, step, lastAt, now: lastAt + dt, intervalMs: interval })
        if (owed >= step || dt >= interval) expect(d).to.equal('now')
        else expect(d).to.equal(lastAt + interval)
      }), { seed: 7, numRuns: 1000 })
  })
})
