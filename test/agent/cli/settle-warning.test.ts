import { expect } from 'chai'
import { settleWarning } from '../../../agent/cli/settle-warning.ts'
import { defaultMinAmount } from '../../../agent/settle/index.ts'

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
