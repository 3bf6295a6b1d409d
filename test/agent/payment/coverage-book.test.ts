import { expect } from 'chai'
import fc from 'fast-check'
import { CoverageBook } from '../../../agent/payment/coverage-book.ts'
import { coverageOf, covers, NO_EXIT, type Address, type PairBacking } from '../../../agent/pay/index.ts'
import type { EscrowEvent } from '../../../agent/chain/index.ts'

const PAYER = ('0x' + '11'.repeat(20)) as Address
const US = ('0x' + '22'.repeat(20)) as Address
const OTHER = ('0x' + '33'.repeat(20)) as Address
const meta = { blockNumber: 1, txId: '0x01', logIndex: 0 }

function settled (payee: Address, paid: bigint): EscrowEvent {
  return { ...meta, name: 'Settled', payer: PAYER, payee, paid, cumulativeBytes: 0n, cumulativeAmount: paid }
}

describe('CoverageBook', () => {
  const read = { free: 100n, lane: 50n, paidOut: 0n, withdrawal: NO_EXIT, release: NO_EXIT }

  it('ignores events of payers it does not track', () => {
    const book = new CoverageBook({ payee: US })
    expect([...book.note([settled(US, 5n)])]).to.deep.equal([])
  })

  it('until the re-read, trusts no free balance and lowers our lane by what our settlements could have taken', () => {
    const book = new CoverageBook({ payee: US })
    book.set(PAYER, read, book.version(PAYER))
    expect([...book.note([settled(US, 20n), { ...meta, name: 'Deposited', payer: PAYER, from: PAYER, amount: 1000n }])]).to.deep.equal([PAYER])
    expect(book.get(PAYER)).to.deep.include({ free: 0n, lane: 30n, paidOut: 0n })
    expect(book.isDirty(PAYER)).to.equal(true)
  })

  it('counts a release request of our lane as gone, and ignores other payees\' lanes', () => {
    const book = new CoverageBook({ payee: US })
    book.set(PAYER, read, book.version(PAYER))
    book.note([
      { ...meta, name: 'LaneReleaseRequested', payer: PAYER, payee: US, amount: 40n, unlockAt: 10n },
      { ...meta, name: 'LaneReleaseRequested', payer: PAYER, payee: OTHER, amount: 999n, unlockAt: 10n }
    ])
    expect(book.get(PAYER)?.lane).to.equal(10n)
  })

  it('a read clears the overlay only if no event arrived while it ran (the read may predate it)', () => {
    const book = new CoverageBook({ payee: US })
    book.set(PAYER, read, book.version(PAYER))
    const started = book.version(PAYER)
    book.note([settled(OTHER, 10n)])
    expect(book.set(PAYER, { ...read, free: 90n }, started)).to.equal(false)
    expect(book.get(PAYER)?.free).to.equal(0n)
    expect(book.set(PAYER, { ...read, free: 90n }, book.version(PAYER))).to.equal(true)
    expect(book.get(PAYER)?.free).to.equal(90n)
  })

  it('keeps the free balance through our own settlement (lowering only the lane), not through anyone else\'s', () => {
    const book = new CoverageBook({ payee: US })
    book.set(PAYER, read, book.version(PAYER))
    book.note([settled(US, 20n)])
    expect(book.get(PAYER)).to.deep.include({ free: 100n, lane: 30n })
    expect(book.isDirty(PAYER)).to.equal(true)
    book.note([settled(OTHER, 5n)])
    expect(book.get(PAYER)).to.deep.include({ free: 0n, lane: 30n })
  })

  it('after our own settlement it never serves more than the chain backs, whether the read saw it or not', () => {
    const amount = fc.bigInt(0n, 1000n)
    fc.assert(fc.property(amount, amount, amount, amount, amount, fc.bigInt(1n, 1000n), fc.boolean(), fc.bigInt(0n, 10_000n),
      (free, lane, paidOut, owedAhead, exposureLimit, settleFrac, readSawIt, next) => {
        // the truth before: a receipt `owedAhead` beyond paidOut; our settlement pays part of it, lane first
        const receiptAmount = paidOut + owedAhead
        const before: PairBacking = { free, lane, paidOut, withdrawal: NO_EXIT, release: NO_EXIT }
        const due = owedAhead < lane + free ? owedAhead : lane + free
        const paid = due * settleFrac / 1000n
        const fromLane = paid < lane ? paid : lane
        const after: PairBacking = { ...before, lane: lane - fromLane, free: free - (paid - fromLane), paidOut: paidOut + paid }
        const book = new CoverageBook({ payee: US })
        book.set(PAYER, readSawIt ? after : before, book.version(PAYER))
        book.note([settled(US, paid)])
        const limits = { exposureLimit, withdrawalWindow: 0n, nowSeconds: 0n }
        const exposure = { receiptAmount, unpaidBytes: 0n, pricePerMiB: 1n << 20n }
        const view = book.get(PAYER)!
        if (covers(coverageOf(view, limits), view, exposure, next)) {
          expect(covers(coverageOf(after, limits), after, exposure, next)).to.equal(true)
        }
      }), { seed: 7, numRuns: 2000 })
  })
})
