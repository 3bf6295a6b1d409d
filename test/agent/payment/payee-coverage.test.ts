/** PayeeCoverage's decisions from memory; the backing it reads is a fixed in-memory view (the e2e risk tests use the chain). */
import { expect } from 'chai'
import pino from 'pino'
import { PayeeCoverage, type BackingReader } from '../../../agent/payment/payee-coverage.ts'
import { NO_EXIT, MIB, toAddress } from '../../../agent/pay/index.ts'

const PAYER = toAddress('0x' + 'a'.repeat(40))
const PAYEE = `0x${'b'.repeat(40)}`
const PRICE = 1000n // per MiB
const E = 100n * PRICE // trust 100 MiB worth of the free balance

function coverage (settleAheadAt?: bigint, settlementCost?: bigint): { cov: PayeeCoverage, settled: bigint[] } {
  const chain: BackingReader = {
    balanceOf: async () => 1_000_000n,
    laneOf: async () => ({ lane: 0n, paidOut: 0n }),
    pendingWithdrawal: async () => NO_EXIT,
    pendingRelease: async () => NO_EXIT
  }
  const settled: bigint[] = []
  // every reading of the clock is a millisecond later: a re-read is always newer than the decision that asked for it
  let now = 0
  const cov = new PayeeCoverage({
    logger: pino({ level: 'silent' }), chain, settle: async () => { settled.push(1n) }, clock: () => ++now,
    ...(settlementCost !== undefined ? { settlementCost: () => settlementCost } : {})
  }, {
    payee: PAYEE, exposureLimit: E, withdrawalWindow: 86_400n, ...(settleAheadAt !== undefined ? { settleAheadAt } : {})
  })
  return { cov, settled }
}

describe('PayeeCoverage: settling ahead', () => {
  it('serves and settles in the background once half the trusted free balance is owed, once at a time', async () => {
    const { cov, settled } = coverage()
    await cov.prepare(PAYER)
    expect(cov.decide(PAYER, { receiptAmount: E / 2n - 1n, unpaidBytes: 0n, pricePerMiB: PRICE }, 16384)).to.equal('serve')
    expect(settled).to.have.length(0)
    // half owed: read the payer once more first (it may just have reserved a lane), serving on
    expect(cov.decide(PAYER, { receiptAmount: E / 2n, unpaidBytes: 0n, pricePerMiB: PRICE }, 16384)).to.equal('serve')
    expect(settled).to.have.length(0)
    await new Promise<void>(resolve => { cov.once('coverage:changed', () => { resolve() }) })
    await new Promise(resolve => setImmediate(resolve))
    // still half owed after the fresh read: settle ahead, still serving, and only once
    expect(cov.decide(PAYER, { receiptAmount: E / 2n, unpaidBytes: 0n, pricePerMiB: PRICE }, 16384)).to.equal('serve')
    expect(cov.decide(PAYER, { receiptAmount: E / 2n + 10n, unpaidBytes: MIB, pricePerMiB: PRICE }, 16384)).to.equal('serve')
    expect(settled).to.have.length(1)
    cov.stop()
  })

  it('with settling ahead off, settles only when the next block would be uncovered, and refuses that block', async () => {
    const { cov, settled } = coverage(0n)
    await cov.prepare(PAYER)
    expect(cov.decide(PAYER, { receiptAmount: E - PRICE, unpaidBytes: 0n, pricePerMiB: PRICE }, 16384)).to.equal('serve')
    expect(settled).to.have.length(0)
    // uncovered: re-read first (one read is cheaper than a settlement), then settle
    const uncovered = { receiptAmount: E, unpaidBytes: MIB, pricePerMiB: PRICE }
    expect(cov.decide(PAYER, uncovered, 16384)).to.equal('refresh')
    // the re-read ends with coverage:changed; on a loaded machine that is not within any fixed delay
    await new Promise<void>(resolve => { cov.once('coverage:changed', () => { resolve() }) })
    let decision = cov.decide(PAYER, uncovered, 16384)
    for (let i = 0; decision === 'refresh' && i < 100; i++) {
      await new Promise(resolve => setTimeout(resolve, 20))
      decision = cov.decide(PAYER, uncovered, 16384)
    }
    expect(decision).to.equal('settle')
    expect(settled).to.have.length(1)
    cov.stop()
  })

  it('never settles for risk when the settlement costs more than it recovers: the payer waits for a lane or a deposit', async () => {
    // a lone settle costing 2 × the trusted free balance (TRON mainnet with a cheap torrent: ~5.8 TRX for crumbs of BTT)
    const { cov, settled } = coverage(undefined, 2n * E)
    await cov.prepare(PAYER)
    // past half the exposure: no settling ahead
    expect(cov.decide(PAYER, { receiptAmount: E - PRICE, unpaidBytes: 0n, pricePerMiB: PRICE }, 16384)).to.equal('serve')
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(cov.decide(PAYER, { receiptAmount: E - PRICE, unpaidBytes: 0n, pricePerMiB: PRICE }, 16384)).to.equal('serve')
    // out of coverage: once re-read, wait (the payer must reserve or deposit), never settle
    const uncovered = { receiptAmount: E, unpaidBytes: MIB, pricePerMiB: PRICE }
    let decision = cov.decide(PAYER, uncovered, 16384)
    for (let i = 0; decision === 'refresh' && i < 100; i++) {
      await new Promise(resolve => setTimeout(resolve, 20))
      decision = cov.decide(PAYER, uncovered, 16384)
    }
    expect(decision).to.equal('wait')
    expect(settled).to.deep.equal([])
    expect(cov.minRiskSettle()).to.equal(2n * E)
    cov.stop()
  })

  it('a settlement cheaper than the floor changes nothing: the floor (a quarter of the exposure) still applies', () => {
    const { cov } = coverage(undefined, 1n)
    expect(cov.minRiskSettle()).to.equal(E / 4n)
    cov.stop()
  })
})
