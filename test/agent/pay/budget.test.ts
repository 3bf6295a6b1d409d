import { expect } from 'chai'
import fc from 'fast-check'
import { PayerBudget } from '../../../agent/pay/budget.ts'

const A = '0x' + 'aa'.repeat(20)
const B = '0x' + 'bb'.repeat(20)
const C = '0x' + 'cc'.repeat(20)

describe('PayerBudget', () => {
  it('gives an unknown payee nothing', () => {
    const b = new PayerBudget({ free: 100n })
    expect(b.headroom(A)).to.equal(0n)
  })

  it('lets a payee take its lane and then the free balance, which payees share', () => {
    const b = new PayerBudget({ free: 100n })
    b.setPayee(A, { lane: 50n, paidOut: 0n, signed: 0n })
    b.setPayee(B, { lane: 0n, paidOut: 0n, signed: 0n })
    expect(b.headroom(A)).to.equal(150n)
    expect(b.headroom(B)).to.equal(100n)
    b.sign(A, 120n) // 50 from the lane, 70 leaning on the free balance
    expect(b.headroom(A)).to.equal(30n)
    expect(b.headroom(B)).to.equal(30n)
    expect(b.laneHeadroom(A)).to.equal(0n)
  })

  it('counts receipts signed before the run against the budget, less what the escrow already paid', () => {
    const b = new PayerBudget({ free: 100n })
    b.setPayee(A, { lane: 0n, paidOut: 30n, signed: 90n })
    expect(b.headroom(A)).to.equal(40n)
  })

  it('caps one run with --budget', () => {
    const b = new PayerBudget({ free: 1000n, cap: 60n })
    b.setPayee(A, { lane: 0n, paidOut: 0n, signed: 10n })
    expect(b.headroom(A)).to.equal(60n)
    b.sign(A, 70n)
    expect(b.spent).to.equal(60n)
    expect(b.headroom(A)).to.equal(0n)
    expect(b.exhausted()).to.equal(true)
  })

  it('counts room too small to pay for anything (dust) as spent', () => {
    const b = new PayerBudget({ free: 5n })
    b.setPayee(A, { lane: 0n, paidOut: 0n, signed: 0n })
    expect(b.exhausted()).to.equal(false)
    expect(b.exhausted(5n)).to.equal(false) // exactly one piece's worth still buys that piece
    expect(b.exhausted(6n)).to.equal(true)
  })

  it('refuses a step past the headroom (a bug guard)', () => {
    const b = new PayerBudget({ free: 10n })
    b.setPayee(A, { lane: 0n, paidOut: 0n, signed: 0n })
    expect(() => { b.sign(A, 11n) }).to.throw(RangeError, /exceeds the budget headroom 10/)
  })

  it('moves free balance into a lane on reserve without changing the total', () => {
    const b = new PayerBudget({ free: 100n })
    b.setPayee(A, { lane: 0n, paidOut: 0n, signed: 0n })
    expect(b.laneShortfall(A, 40n)).to.equal(40n)
    b.reserved(A, 40n)
    expect(b.free).to.equal(60n)
    expect(b.laneHeadroom(A)).to.equal(40n)
    expect(b.headroom(A)).to.equal(100n)
    expect(b.laneShortfall(A, 40n)).to.equal(0n)
  })

  it('never lets the payees together lean on more than the free balance (property)', () => {
    fc.assert(fc.property(
      fc.bigInt(0n, 1000n),
      fc.array(fc.bigInt(0n, 300n), { minLength: 3, maxLength: 3 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.bigInt(0n, 200n)), { maxLength: 40 }),
      (free, lanes, steps) => {
        const payees = [A, B, C]
        const b = new PayerBudget({ free })
        payees.forEach((p, i) => { b.setPayee(p, { lane: lanes[i]!, paidOut: 0n, signed: 0n }) })
        for (const [i, want] of steps) {
          const p = payees[i]!
          const step = want < b.headroom(p) ? want : b.headroom(p)
          b.sign(p, b.funds(p)!.signed + step)
        }
        let leaning = 0n
        payees.forEach((p, i) => {
          const over = b.funds(p)!.signed - lanes[i]!
          if (over > 0n) leaning += over
        })
        expect(leaning <= free).to.equal(true)
      }), { seed: 8, numRuns: 300 })
  })
})
