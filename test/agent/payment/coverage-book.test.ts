import { expect } from 'chai'
import { CoverageBook } from '../../../agent/payment/coverage-book.ts'
import { NO_EXIT, type Address } from '../../../agent/pay/index.ts'
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
})
