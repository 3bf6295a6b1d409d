import { expect } from 'chai'
import { exposureWarning, settleWarning } from '../../../agent/cli/settle-warning.ts'
import { defaultMinAmount, urgentSettlementCost, TRON_SUN_PER_ENERGY, TRON_TOKEN_PER_SUN } from '../../../agent/settle/index.ts'

const E18 = 10n ** 18n

describe('cli/settle-warning: a --price too low for the settlement fee', () => {
  it('warns on mainnet\'s default threshold at an ordinary price, saying how much a payer must download and what price would do', () => {
    const w = settleWarning({ pricePerMiB: E18 / 100n, threshold: defaultMinAmount(), fixed: false, network: 'mainnet' })
    expect(w).to.be.a('string')
    expect(w).to.match(/^at 0\.01 BTT\/MiB a payer must download [0-9.]+ TiB before a settlement is worth its fee on mainnet/)
    expect(w).to.contain('8,564,640 BTT')
    // 8,564,640 BTT over 10 GiB
    expect(w).to.contain('Charge at least 836.390625 BTT/MiB to settle every 10 GiB')
  })

  it('says nothing when a payer reaches the threshold within 10 GiB (a local chain\'s gas, or a high price)', () => {
    expect(settleWarning({ pricePerMiB: E18 / 100n, threshold: 178_430n * 10n ** 9n, fixed: false, network: 'local' })).to.equal(null)
    expect(settleWarning({ pricePerMiB: 1000n * E18, threshold: defaultMinAmount(), fixed: false, network: 'mainnet' })).to.equal(null)
    // exactly 10 GiB is still fine
    expect(settleWarning({ pricePerMiB: E18, threshold: 10_240n * E18, fixed: true, network: 'nile' })).to.equal(null)
    expect(settleWarning({ pricePerMiB: E18, threshold: 10_241n * E18, fixed: true, network: 'nile' })).to.match(/--settle-threshold 10,241 BTT/)
    expect(settleWarning({ pricePerMiB: E18, threshold: 0n, fixed: true, network: 'nile' })).to.equal(null)
  })
})

describe('cli/settle-warning: a --max-exposure below what a risk settlement costs', () => {
  it('warns when settling early would burn more than it recovers (TRON mainnet\'s lone settle against a cheap exposure)', () => {
    const cost = urgentSettlementCost(TRON_SUN_PER_ENERGY, TRON_TOKEN_PER_SUN) // 58,000 energy × 100 sun × 0.48 BTT
    const line = exposureWarning({ exposureLimit: 64n * 10n ** 14n, settlementCost: cost, network: 'mainnet' })
    expect(line).to.match(/^--max-exposure 0\.0064 BTT is less than twice what one settlement costs on mainnet \(2,784,000 BTT\)/)
    expect(line).to.match(/payers without a lane are paused at the exposure/)
  })

  it('says nothing when one settlement costs at most half the exposure (a local chain, or BitTorrent Chain)', () => {
    expect(exposureWarning({ exposureLimit: 64n * 10n ** 14n, settlementCost: 32n * 10n ** 14n, network: 'local' })).to.equal(null)
    expect(exposureWarning({ exposureLimit: 64n * 10n ** 14n, settlementCost: 58_000n * 10n ** 9n, network: 'local' })).to.equal(null)
  })
})
