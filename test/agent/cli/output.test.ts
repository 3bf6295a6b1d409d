import { expect } from 'chai'
import { etaText, paidText, duration } from '../../../agent/cli/output.ts'

const E18 = 10n ** 18n
const MiB = 1048576

describe('cli/output: the progress bar\'s texts', () => {
  it('ETA is "–" while nothing arrives (cli-progress showed NULL/INF cut to "LLs"/"NFs")', () => {
    expect(etaText({ done: false, length: 10 * MiB, verifiedBytes: 0, downloadRate: 0 })).to.equal('ETA –')
    expect(etaText({ done: false, length: 0, verifiedBytes: 0, downloadRate: 0 })).to.equal('ETA –') // a magnet before its metadata
    expect(etaText({ done: false, length: 10 * MiB, verifiedBytes: 0, downloadRate: Number.NaN })).to.equal('ETA –')
    expect(etaText({ done: false, length: 10 * MiB, verifiedBytes: 0, downloadRate: 1 })).to.equal('ETA –') // 121 days: meaningless
  })

  it('ETA from what is left at the current rate; "done" once complete', () => {
    expect(etaText({ done: false, length: 10 * MiB, verifiedBytes: 4 * MiB, downloadRate: MiB })).to.equal('ETA 6s')
    expect(etaText({ done: false, length: 200 * MiB, verifiedBytes: 15 * MiB, downloadRate: MiB })).to.equal('ETA 3m 05s')
    expect(etaText({ done: true, length: 10 * MiB, verifiedBytes: 10 * MiB, downloadRate: 0 })).to.equal('done')
    expect(duration(3600 * 2 + 7 * 60)).to.equal('2h 07m')
    expect(duration(86400 * 3 + 3600 * 4)).to.equal('3d 04h')
  })

  it('what was paid, with the rate per MiB received this run', () => {
    expect(paidText(3n * E18 / 100n, null, 3 * MiB)).to.equal('paid 0.03 BTT (0.01 BTT/MiB)')
    expect(paidText(3n * E18 / 100n, E18, 3 * MiB)).to.equal('paid 0.03 of 1 BTT (0.01 BTT/MiB)')
    // free peers' bytes lower the rate; it is cut to about four significant digits
    expect(paidText(E18 / 100n, null, 3 * MiB)).to.equal('paid 0.01 BTT (0.003333 BTT/MiB)')
    expect(paidText(0n, null, 3 * MiB)).to.equal('paid 0 BTT')
    expect(paidText(E18, null, 0)).to.equal('paid 1 BTT')
  })
})
