import { expect } from 'chai'
import { formatBtt, bttText, priceText, groupThousands, checkTerms, UnderpaidReceiptError, TermsRefusedError } from '../../../agent/pay/index.ts'
import { parseBtt } from '../../../agent/cli/amounts.ts'
import { formatToken } from '../../../agent/audit/index.ts'

const E18 = 10n ** 18n

describe('pay/btt: the one BTT formatter', () => {
  it('is exact and ungrouped by default, and parseBtt reads it back', () => {
    for (const units of [0n, 1n, E18, 15n * E18 / 10n, 8_564_640n * E18, 123_456_789_012_345_678_901n, -E18 / 4n]) {
      const s = formatBtt(units)
      expect(s).to.not.contain(',')
      if (units >= 0n) expect(parseBtt('x', s, { allowZero: true })).to.equal(units)
    }
    expect(formatBtt(1n)).to.equal('0.000000000000000001')
    expect(formatBtt(15n * E18 / 10n)).to.equal('1.5')
    expect(formatBtt(-E18 / 4n)).to.equal('-0.25')
  })

  it('groups thousands and cuts (never rounds) decimals on request', () => {
    expect(formatBtt(8_564_640n * E18 + E18 / 2n, { grouped: true })).to.equal('8,564,640.5')
    expect(formatBtt(E18 * 2n / 3n, { maxDecimals: 6 })).to.equal('0.666666')
    expect(formatBtt(1n, { maxDecimals: 6 })).to.equal('0')
    expect(formatBtt(-1_234_000n * E18, { grouped: true })).to.equal('-1,234,000')
    expect(groupThousands('1234567.891011')).to.equal('1,234,567.891011')
    expect(groupThousands('999')).to.equal('999')
    expect(groupThousands('escrow balance')).to.equal('escrow balance')
  })

  it('texts for people carry the unit', () => {
    expect(bttText(E18 / 100n)).to.equal('0.01 BTT')
    expect(priceText(E18 / 100n)).to.equal('0.01 BTT/MiB')
    expect(priceText(10n ** 12n)).to.equal('0.000001 BTT/MiB')
    // the audit's table formatter is the same one, cut to 6 decimals
    expect(formatToken(8_564_640n * E18 + 1n)).to.equal('8,564,640 BTT')
    expect(formatToken(E18 * 2n / 3n)).to.equal('0.666666 BTT')
  })

  it('refusal reasons that reach people say BTT, not base units', () => {
    const self = { domain: { chainId: 1n, escrow: '0x' + 'e'.repeat(40) as `0x${string}` }, account: '0x' + '1'.repeat(40) as `0x${string}` }
    const peer = { chainId: 1n, escrow: '0x' + 'e'.repeat(40) as `0x${string}`, account: '0x' + '2'.repeat(40) as `0x${string}`, pricePerMiB: E18 / 100n, credit: 0n }
    let err: unknown
    try { checkTerms(self, peer, E18 / 200n) } catch (e) { err = e }
    expect(err).to.be.instanceOf(TermsRefusedError)
    expect((err as Error).message).to.equal('peer asks 0.01 BTT/MiB, we pay at most 0.005 BTT/MiB')
    expect(new UnderpaidReceiptError(1048576n, E18 / 200n, E18 / 100n, E18 / 100n).message)
      .to.equal('receipt pays 0.005 BTT for 1048576 B, owed 0.01 BTT at 0.01 BTT/MiB')
  })
})
