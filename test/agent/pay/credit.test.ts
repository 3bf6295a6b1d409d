import { expect } from 'chai'
import fc from 'fast-check'
import { CreditPolicy, DEFAULT_CREDIT } from '../../../agent/pay/credit.ts'
import { MIB } from '../../../agent/pay/price.ts'

const BLOCK = 16n * 1024n

describe('CreditPolicy', () => {
  it('grants 4 MiB by default and resumes at half of it', () => {
    const p = new CreditPolicy()
    expect(p.credit).to.equal(4n * MIB)
    expect(DEFAULT_CREDIT).to.equal(4n * MIB)
    expect(p.resumeAt).to.equal(2n * MIB)
  })

  it('serves a block only while it fits in the credit', () => {
    const p = new CreditPolicy({ credit: MIB })
    expect(p.mayServe(MIB - BLOCK, BLOCK)).to.equal(true)
    expect(p.mayServe(MIB - BLOCK + 1n, BLOCK)).to.equal(false)
  })

  it('chokes when the next block would not fit and unchokes only at resumeAt (hysteresis)', () => {
    const p = new CreditPolicy({ credit: MIB })
    expect(p.choked(MIB - BLOCK, false, BLOCK)).to.equal(false)
    expect(p.choked(MIB - BLOCK + 1n, false, BLOCK)).to.equal(true)
    expect(p.choked(MIB / 2n + 1n, true, BLOCK)).to.equal(true)
    expect(p.choked(MIB / 2n, true, BLOCK)).to.equal(false)
  })

  it('never flaps: between resumeAt and the choke point the state is kept, whatever it was', () => {
    const p = new CreditPolicy({ credit: MIB })
    fc.assert(fc.property(fc.bigInt(MIB / 2n + 1n, MIB - BLOCK), fc.boolean(), (unpaid, was) => {
      expect(p.choked(unpaid, was, BLOCK)).to.equal(was)
    }), { seed: 3, numRuns: 500 })
  })

  it('refuses nonsensical settings', () => {
    expect(() => new CreditPolicy({ credit: -1n })).to.throw(RangeError)
    expect(() => new CreditPolicy({ credit: MIB, resumeAt: 2n * MIB })).to.throw(RangeError)
  })
})
