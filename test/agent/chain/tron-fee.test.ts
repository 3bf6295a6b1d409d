/** The pure planners of a TRON write's cost (agent/chain/tron-fee.ts): fee limit, burn, and the two refusals. */
import { expect } from 'chai'
import fc from 'fast-check'
import { checkedFeeLimit, feeLimitFor, planTronBurn, type TronFeeInput } from '../../../agent/chain/tron-fee.ts'
import { FeeLimitExceededError, InsufficientEnergyError } from '../../../agent/chain/errors.ts'

const BASE: TronFeeInput = {
  method: 'settleBatch',
  account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  energy: 17_812n,
  energyPrice: 100n,
  bandwidthPrice: 1_000n,
  txBytes: 300,
  resources: {},
  balanceSun: 10_000_000n
}
const MARGIN = 20
const MAX_FEE_LIMIT = 300_000_000n
const limitOf = (i: TronFeeInput, max = MAX_FEE_LIMIT): bigint => checkedFeeLimit(i.method, i.energy, i.energyPrice, MARGIN, max)

function thrown (f: () => unknown): unknown {
  try {
    f()
  } catch (err) {
    return err
  }
  return null
}

describe('checkedFeeLimit and planTronBurn: what a TRON write may burn, decided before it is signed', () => {
  it('a settlement with nothing staked: the limit is the estimate at today\'s price plus 20 %, and all of it plus bandwidth is burnt', () => {
    const plan = planTronBurn(BASE)
    expect(limitOf(BASE)).to.equal(2_137_440n) // 17,812 × 100 × 1.2
    expect(plan.energyAvailable).to.equal(0n)
    expect(plan.burnSun).to.equal(1_781_200n + 364n * 1_000n) // 1.78 TRX of energy, 364 bytes of bandwidth
  })

  it('staked energy and bandwidth are used first; only what is beyond them is burnt', () => {
    const plan = planTronBurn({ ...BASE, resources: { EnergyLimit: 20_000, EnergyUsed: 12_812, freeNetLimit: 600, freeNetUsed: 0 } })
    expect(plan.energyAvailable).to.equal(7_188n)
    expect(plan.burnSun).to.equal((17_812n - 7_188n) * 100n)
    expect(planTronBurn({ ...BASE, resources: { EnergyLimit: 50_000, NetLimit: 5_000 } }).burnSun).to.equal(0n)
    // the limit does not shrink with staking (it takes no resources): on TRON it caps staked and bought energy alike
    expect(limitOf({ ...BASE, resources: { EnergyLimit: 50_000 } })).to.equal(2_137_440n)
  })

  it('refuses when the account holds less TRX than it would burn, naming both figures', () => {
    expect(() => planTronBurn({ ...BASE, balanceSun: 2_145_199n })).to.throw(InsufficientEnergyError)
    const err = thrown(() => planTronBurn({ ...BASE, balanceSun: 1_000n }))
    expect(err).to.be.instanceOf(InsufficientEnergyError)
    expect((err as InsufficientEnergyError).burnSun).to.equal(2_145_200n)
    expect((err as InsufficientEnergyError).message).to.include('holds 1000 sun')
    expect(planTronBurn({ ...BASE, balanceSun: 2_145_200n }).burnSun).to.equal(2_145_200n)
  })

  it('refuses a fee limit above the maximum', () => {
    expect(() => limitOf(BASE, 2_137_439n)).to.throw(FeeLimitExceededError)
    expect(limitOf(BASE, 2_137_440n)).to.equal(2_137_440n)
  })

  it('for any figures: the limit covers the estimate with the margin, and what it plans to burn is never more than the balance', () => {
    fc.assert(fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 1n, max: 1_000n }), fc.integer({ min: 0, max: 100 }),
      fc.nat(10 ** 7), fc.nat(10 ** 7), fc.bigInt({ min: 0n, max: 10n ** 15n }),
      (energy, price, margin, staked, used, balance) => {
        const limit = feeLimitFor(energy, price, margin)
        expect(limit * 100n >= energy * price * BigInt(100 + margin)).to.equal(true)
        expect((limit - 1n) * 100n < energy * price * BigInt(100 + margin) || energy === 0n).to.equal(true)
        try {
          const plan = planTronBurn({ ...BASE, energy, energyPrice: price, resources: { EnergyLimit: staked, EnergyUsed: used }, balanceSun: balance })
          expect(plan.burnSun <= balance).to.equal(true)
        } catch (err) {
          expect(err).to.be.instanceOf(InsufficientEnergyError)
        }
      }))
  })
})
