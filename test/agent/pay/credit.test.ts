import { expect } from 'chai'
import fc from 'fast-check'
import { CreditPolicy, DEFAULT_CREDIT, EARN_RATE, INITIAL_CREDIT } from '../../../agent/pay/credit.ts'
import { MIB } from '../../../agent/pay/price.ts'

const BLOCK = 16n * 1024n

describe('CreditPolicy', () => {
  it('starts a payer at 4 MiB and grants at most 32 MiB by default', () => {
    const p = new CreditPolicy()
    expect(p.initial).to.equal(4n * MIB)
    expect(p.credit).to.equal(32n * MIB)
    expect([INITIAL_CREDIT, DEFAULT_CREDIT]).to.deep.equal([4n * MIB, 32n * MIB])
  })

  it('starts at the cap when the cap is below 4 MiB (a small --credit is never exceeded)', () => {
    const p = new CreditPolicy({ credit: MIB / 4n })
    expect(p.initial).to.equal(MIB / 4n)
    expect(p.earned(100n * MIB)).to.equal(MIB / 4n)
  })

  it('earns initial + twice what was paid for in the session, never more than the cap, never less than initial', () => {
    const p = new CreditPolicy()
    fc.assert(fc.property(fc.bigInt(-MIB, 1000n * MIB), paid => {
      const c = p.earned(paid)
      expect(c >= p.initial && c <= p.credit).to.equal(true)
      const earned = p.initial + EARN_RATE * paid
      expect(EARN_RATE).to.equal(2n)
      expect(c).to.equal(paid <= 0n ? p.initial : (earned < p.credit ? earned : p.credit))
    }), { seed: 1, numRuns: 500 })
  })

  it('announces a growth of a quarter or the cap, never a shrink or a crumb', () => {
    const p = new CreditPolicy()
    expect(p.worthAnnouncing(4n * MIB, 5n * MIB)).to.equal(true)
    expect(p.worthAnnouncing(4n * MIB, 5n * MIB - 1n)).to.equal(false)
    expect(p.worthAnnouncing(31n * MIB, 32n * MIB)).to.equal(true)
    expect(p.worthAnnouncing(32n * MIB, 32n * MIB)).to.equal(false)
    expect(p.worthAnnouncing(8n * MIB, 4n * MIB)).to.equal(false)
  })

  it('serves a block only while it fits in the payer\'s credit', () => {
    const p = new CreditPolicy({ credit: MIB })
    expect(p.mayServe(MIB - BLOCK, BLOCK)).to.equal(true)
    expect(p.mayServe(MIB - BLOCK + 1n, BLOCK)).to.equal(false)
    expect(p.mayServe(MIB / 2n, BLOCK, MIB / 2n)).to.equal(false)
  })

  it('chokes when the next block would not fit and unchokes only at half the credit (hysteresis)', () => {
    const p = new CreditPolicy({ credit: MIB })
    expect(p.choked(MIB - BLOCK, false, BLOCK)).to.equal(false)
    expect(p.choked(MIB - BLOCK + 1n, false, BLOCK)).to.equal(true)
    expect(p.choked(MIB / 2n + 1n, true, BLOCK)).to.equal(true)
    expect(p.choked(MIB / 2n, true, BLOCK)).to.equal(false)
  })

  it('never flaps: between half the credit and the choke point the state is kept, whatever it was', () => {
    const p = new CreditPolicy({ credit: MIB })
    fc.assert(fc.property(fc.bigInt(MIB / 2n + 1n, MIB - BLOCK), fc.boolean(), (unpaid, was) => {
      expect(p.choked(unpaid, was, BLOCK)).to.equal(was)
    }), { seed: 3, numRuns: 500 })
  })

  it('refuses nonsensical settings', () => {
    expect(() => new CreditPolicy({ credit: -1n })).to.throw(RangeError)
    expect(() => new CreditPolicy({ credit: MIB, initial: 2n * MIB })).to.throw(RangeError)
  })
})
