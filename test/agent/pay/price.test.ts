import { expect } from 'chai'
import fc from 'fast-check'
import { amountFor, MIB } from '../../../agent/pay/price.ts'
import { InvalidAmountError } from '../../../agent/pay/errors.ts'

const SEED = 20261125

describe('amountFor', () => {
  it('charges the exact price for whole MiBs', () => {
    expect(amountFor(3n * MIB, 1000n)).to.equal(3000n)
    expect(amountFor(0n, 1000n)).to.equal(0n)
    expect(amountFor(5n * MIB, 0n)).to.equal(0n)
  })

  it('rounds up in the payee\'s favour', () => {
    expect(amountFor(1n, 1n)).to.equal(1n)
    expect(amountFor(MIB + 1n, 2n)).to.equal(3n)
  })

  it('is never below the exact value and overpays by less than one unit', () => {
    fc.assert(fc.property(fc.bigInt(0n, 1n << 64n), fc.bigInt(0n, 1n << 100n), (bytes, price) => {
      const a = amountFor(bytes, price)
      expect(a * MIB >= bytes * price).to.equal(true)
      expect(a * MIB < bytes * price + MIB).to.equal(true)
    }), { seed: SEED, numRuns: 2000 })
  })

  it('is subadditive, so pricing from a later base never asks more than pricing from an earlier one', () => {
    fc.assert(fc.property(fc.bigInt(0n, 1n << 40n), fc.bigInt(0n, 1n << 40n), fc.bigInt(0n, 1n << 80n), (x, y, p) => {
      expect(amountFor(x, p) + amountFor(y, p) >= amountFor(x + y, p)).to.equal(true)
    }), { seed: SEED, numRuns: 2000 })
  })

  it('throws InvalidAmountError on negative input', () => {
    expect(() => amountFor(-1n, 1n)).to.throw(InvalidAmountError)
    expect(() => amountFor(1n, -1n)).to.throw(InvalidAmountError)
  })
})
