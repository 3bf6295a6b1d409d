/** The pure planner of a TRON write's cost (agent/chain/tron-fee.ts): fee limit, burn, and the two refusals. */
import { expect } from 'chai'
import fc from 'fast-check'
import { feeLimitFor, planTronFee, type TronFeeInput } from '../../../agent/chain/tron-fee.ts'
import { FeeLimitExceededError, InsufficientEnergyError } from '../../../agent/chain/errors.ts'

const BASE: TronFeeInput = {
  method: 'settleBatch',
  account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  energy: 17_812n,
  energyPrice: 100n,
  bandwidthPrice: 1_000n,
  txBytes: 300,
  resources: {},
  balanceSun: 10_000_000n,
  marginPercent: 20,
  maxFeeLimitSun: 300_000_000n
}

function thrown (f: () => unknown): unknown {
  try {
    f()
  } catch (err) {
    return err
  }
  return null
}

describe('planTronFee: what a TRON write may burn, decided before it is signed', () => {
  it('a settlement with nothing staked: the limit is the estimate at today\'s price plus 20 %, and all of it plus bandwidth is burnt', () => {
    const plan = planTronFee(BASE)
    expect(plan.feeLimitSun).to.equal(2_137_440n) // 17,812 × 100 × 1.2
    expect(plan.energyAvailable).to.equal(0n)
    expect(plan.burnSun).to.equal(1_781_200n + 364n * 1_000n) // 1.78 TRX of energy, 364 bytes of bandwidth
  })

  it('staked energy and bandwidth are used first; only what is beyond them is burnt', () => {
    const plan = planTronFee({ ...BASE, resources: { EnergyLimit: 20_000, EnergyUsed: 12_812, freeNetLimit: 600, freeNetUsed: 0 } })
    expect(plan.energyAvailable).to.equal(7_188n)
    expect(plan.burnSun).to.equal((17_812n - 7_188n) * 100n)
    expect(planTronFee({ ...BASE, resources: { EnergyLimit: 50_000, NetLimit: 5_000 } }).burnSun).to.equal(0n)
    // the limit does not shrink with staking: on TRON it caps staked and bought energy alike
    expect(planTronFee({ ...BASE, resources: { EnergyLimit: 50_000 } }).feeLimitSun).to.equal(2_137_440n)
  })

  it('refuses when the account holds less TRX than it would burn, naming both figures', () => {
    expect(() => planTronFee({ ...BASE, balanceSun: 2_145_199n })).to.throw(InsufficientEnergyError)
    const err = thrown(() => planTronFee({ ...BASE, balanceSun: 1_000n }))
    expect(err).to.be.instanceOf(InsufficientEnergyError)
    expect((err as InsufficientEnergyError).burnSun).to.equal(2_145_200n)
    expect((err as InsufficientEnergyError).message).to.include('holds 1000 sun')
    expect(planTronFee({ ...BASE, balanceSun: 2_145_200n }).burnSun).to.equal(2_145_200n)
  })

  it('refuses a fee limit above the maximum', () => {
    expect(() => planTronFee({ ...BASE, maxFeeLimitSun: 2_137_439n })).to.throw(FeeLimitExceededError)
    expect(planTronFee({ ...BASE, maxFeeLimitSun: 2_137_440n }).feeLimitSun).to.equal(2_137_440n)
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
          const plan = planTronFee({ ...BASE, energy, energyPrice: price, marginPercent: margin, resources: { EnergyLimit: staked, EnergyUsed: used }, balanceSun: balance, maxFeeLimitSun: 10n ** 18n })
          expect(plan.burnSun <= balance).to.equal(true)
        } catch (err) {
          expect(err).to.be.instanceOf(InsufficientEnergyError)
        }
      }))
  })
})
