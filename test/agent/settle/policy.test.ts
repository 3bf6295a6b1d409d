/** The cost maths behind the thresholds (pure): energy × fee price × token per fee unit × ratio. */
import { expect } from 'chai'
import {
  BATCH_RECEIPT_ENERGY, defaultMinAmount, LANE_RECEIPT_ENERGY, LONE_SETTLE_ENERGY, settlementCost, thresholdsFor, TRON_SUN_PER_ENERGY,
  TRON_TOKEN_PER_SUN, urgentSettlementCost
} from '../../../agent/settle/index.ts'

const BTT = 10n ** 18n

describe('settlement cost policy', () => {
  it('one settlement costs energy × fee price × token per fee unit', () => {
    expect(settlementCost({ energy: 57_000n, feePrice: 100n, tokenPerFeeUnit: 1n })).to.equal(5_700_000n)
    // TRON today: a lone settle burns 5.8 TRX ≈ 2,784,000 BTT at 480,000 BTT per TRX
    expect(settlementCost({ energy: LONE_SETTLE_ENERGY, feePrice: TRON_SUN_PER_ENERGY, tokenPerFeeUnit: TRON_TOKEN_PER_SUN })).to.equal(2_784_000n * BTT)
    expect(settlementCost()).to.equal(2_784_000n * BTT)
  })

  it('thresholds are the cost of each way of sending a receipt times the ratio', () => {
    const t = thresholdsFor({ feePrice: 100n, tokenPerFeeUnit: 2n, ratio: 5n })
    expect(t).to.deep.equal({ lone: LONE_SETTLE_ENERGY * 1_000n, batched: BATCH_RECEIPT_ENERGY * 1_000n, lane: LANE_RECEIPT_ENERGY * 1_000n })
    expect(t.lane < t.batched && t.batched < t.lone).to.equal(true)
    expect(thresholdsFor({ feePrice: 1n, tokenPerFeeUnit: 1n, energy: { batched: 20_000n } }).batched).to.equal(200_000n)
  })

  it('the default operator figure: a batched receipt on TRON at 100 sun and 0.48 BTT per sun, ×10', () => {
    expect(defaultMinAmount()).to.equal(8_564_640n * BTT)
    // on BTTC (gas paid in BTT, rate 1) at 300 gwei the same receipt is worth settling from 0.0535 BTT
    expect(defaultMinAmount({ feePrice: 300n * 10n ** 9n, tokenPerFeeUnit: 1n })).to.equal(BATCH_RECEIPT_ENERGY * 300n * 10n ** 9n * 10n)
  })

  it('an urgent settlement is priced as a lone settle, the least an event must put at risk', () => {
    expect(urgentSettlementCost(100n, 1n)).to.equal(5_800_000n)
    expect(urgentSettlementCost(100n, 1n, 60_000n)).to.equal(6_000_000n)
  })
})
