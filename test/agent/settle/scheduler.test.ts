/**
 * The settlement scheduler against BandwidthEscrow on anvil, with a real SQLite ledger: threshold, timer,
 * shutdown flush in one settleBatch, the watchtower, and retries of a failed attempt.
 */
import { expect } from 'chai'
import { Wallet } from 'ethers'
import { useChainFixture, fund, E18 } from '../chain/fixture.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { EvmChain } from '../../../agent/chain/evm-chain.ts'
import { amountFor, MIB, type EscrowDomain } from '../../../agent/pay/index.ts'
import { SettlementScheduler, type SettlementEvents } from '../../../agent/settle/index.ts'
import { payeeBooks, nextEvent, logger, PRICE, type PayeeBooks } from './helpers.ts'

const PAYEE_KEY = ANVIL_KEYS[1]
const PAYER_KEYS = [ANVIL_KEYS[2], ANVIL_KEYS[3], ANVIL_KEYS[4]] as const
const [A, B, C] = PAYER_KEYS
const owed = (mib: bigint): bigint => amountFor(mib * MIB, PRICE)

describe('SettlementScheduler', function () {
  this.timeout(60_000)
  const fx = useChainFixture()
  let domain: EscrowDomain
  let books: PayeeBooks
  const schedulers: SettlementScheduler[] = []

  before(() => { domain = { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex } })
  beforeEach(async () => {
    books = payeeBooks(domain, PAYEE_KEY)
    for (const i of [2, 3, 4]) await fund(fx.clients[i]!, 10n * E18)
  })
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop()
    books.close()
  })

  const scheduler = (init: Partial<ConstructorParameters<typeof SettlementScheduler>[1]> = {}, chain: EvmChain = fx.clients[1]!): SettlementScheduler => {
    const s = new SettlementScheduler({ logger, ledger: books.ledger, chain }, { payee: books.payee, intervalMs: 3_600_000, pollMs: 100, retryMs: 200, ...init })
    schedulers.push(s)
    return s
  }
  const paidOut = async (payerKey: string): Promise<bigint> => await fx.readOnly.paidOut(books.keyOf(payerKey).payer, books.payee)

  it('settles a pair once its unsettled amount reaches minAmount, and leaves smaller ones', async () => {
    books.receive(A, 100n) // 1 BTT
    books.receive(B, 10n) // 0.1 BTT
    const s = scheduler({ minAmount: owed(50n), watchtower: false })
    await s.start()
    const summary = await s.settleDue()
    expect([...summary.paid]).to.deep.equal([[books.keyOf(A).payer, owed(100n)]])
    expect(await paidOut(A)).to.equal(owed(100n))
    expect(await paidOut(B)).to.equal(0n)
    expect(books.ledger.settlements(books.keyOf(A)).map(a => [a.status, a.paid])).to.deep.equal([['confirmed', owed(100n)]])
    expect(books.ledger.settlements(books.keyOf(B))).to.deep.equal([])
    // only the new part counts towards the threshold: 100 → 120 MiB is below 50 MiB's worth
    books.receive(A, 120n)
    expect((await s.settleDue()).txIds).to.deep.equal([])
  })

  it('checks thresholds on its timer: a receipt recorded after start is settled without being asked', async () => {
    const s = scheduler({ minAmount: owed(50n), intervalMs: 150, watchtower: false })
    await s.start()
    const confirmed = nextEvent(s, 'settle:confirmed')
    books.receive(A, 64n)
    const e = await confirmed
    expect(e.reason).to.equal('threshold')
    expect(e.batch).to.equal(false)
    expect(e.total).to.equal(owed(64n))
    expect(await paidOut(A)).to.equal(owed(64n))
  })

  it('the default thresholds are the energy estimate × the fee read from the chain (eth_gasPrice) × the ratio', async () => {
    const gasPrice = BigInt(await fx.provider.send('eth_gasPrice', []) as string)
    expect(await fx.readOnly.feePrice()).to.equal(gasPrice)
    const s = scheduler({ cost: { ratio: 2n }, watchtower: false })
    await s.start()
    expect(s.feePrice).to.equal(gasPrice)
    // an EVM chain's gas token is taken as the escrow's token (BTTC): one wei of gas is one base unit
    expect(s.thresholds).to.deep.equal({ lone: 58_000n * gasPrice * 2n, batched: 17_843n * gasPrice * 2n, lane: 12_600n * gasPrice * 2n })
    expect(s.minAmount).to.equal(17_843n * gasPrice * 2n)
    expect(s.urgentCost).to.equal(58_000n * gasPrice)
    // a fixed fee price is never read; an explicit minAmount is one bar for every way of sending
    const fixed = new SettlementScheduler({ logger, ledger: books.ledger, chain: fx.clients[1]! }, { payee: books.payee, cost: { feePrice: 100n, tokenPerFeeUnit: 3n, ratio: 1n } })
    expect(fixed.minAmount).to.equal(17_843n * 300n)
    expect(scheduler({ minAmount: 5n }).thresholds).to.deep.equal({ lone: 5n, batched: 5n, lane: 5n })
  })

  it('stop settles everything outstanding, below the threshold too, in one settleBatch', async () => {
    books.receive(A, 3n)
    books.receive(B, 5n)
    books.receive(C, 7n)
    const s = scheduler({ minAmount: E18 * 1000n, watchtower: false })
    await s.start()
    const sent: Array<SettlementEvents['settle:sent']> = []
    s.on('settle:sent', e => sent.push(e))
    const confirmed: Array<SettlementEvents['settle:confirmed']> = []
    s.on('settle:confirmed', e => confirmed.push(e))
    const summary = await s.stop()
    expect(sent).to.have.length(1)
    // the transaction's cost, from its receipt, is shared among the batch's attempts in the ledger, to the unit
    const receipt = await fx.provider.getTransactionReceipt(summary.txIds[0]!)
    expect(confirmed[0]!.gasUsed).to.equal(receipt!.gasUsed)
    expect(confirmed[0]!.fee).to.equal(receipt!.gasUsed * receipt!.gasPrice)
    const attempts = [A, B, C].map(k => books.ledger.settlements(books.keyOf(k))[0]!)
    expect(attempts.reduce((t, a) => t + a.gasUsed!, 0n)).to.equal(receipt!.gasUsed)
    expect(attempts.reduce((t, a) => t + a.fee!, 0n)).to.equal(receipt!.fee)
    expect(new Set(attempts.slice(1).map(a => a.gasUsed)).size).to.equal(1)
    expect(sent[0]!.reason).to.equal('shutdown')
    expect(sent[0]!.batch).to.equal(true)
    expect(summary.txIds).to.have.length(1)
    expect(summary.failed).to.deep.equal([])
    for (const [key, mib] of [[A, 3n], [B, 5n], [C, 7n]] as const) {
      expect(await paidOut(key)).to.equal(owed(mib))
      expect(books.ledger.settlements(books.keyOf(key)).map(a => [a.status, a.txId, a.paid])).to.deep.equal([['confirmed', summary.txIds[0], owed(mib)]])
    }
    // nothing left: a second stop sends nothing
    expect((await s.stop()).txIds).to.deep.equal([])
  })

  it('the watchtower settles a payer at once when it requests a withdrawal, long before the delay ends', async () => {
    books.receive(A, 40n)
    books.receive(B, 40n)
    const s = scheduler({ minAmount: E18 * 1000n })
    await s.start()
    const seen = nextEvent(s, 'watchtower:withdrawal')
    const confirmed = nextEvent(s, 'settle:confirmed')
    const request = await fx.clients[2]!.requestWithdrawal(10n * E18) // everything: nothing would be left to back our receipts
    const w = await seen
    expect(w.payer).to.equal(books.keyOf(A).payer)
    expect(w.txId).to.equal(request.txId)
    expect(w.unsettled).to.equal(owed(40n))
    expect(w.atRisk).to.equal(owed(40n))
    expect(w.urgent).to.equal(true)
    const c = await confirmed
    expect(c.reason).to.equal('watchtower')
    expect([...c.paid]).to.deep.equal([[books.keyOf(A).payer, owed(40n)]])
    expect(await paidOut(A)).to.equal(owed(40n))
    expect(await paidOut(B)).to.equal(0n) // B asked for nothing: it waits for its threshold
    const block = await fx.provider.getBlock('latest')
    expect(BigInt(block!.timestamp) < w.unlockAt).to.equal(true)
    expect((await fx.readOnly.pendingWithdrawal(books.keyOf(A).payer)).unlockAt).to.equal(w.unlockAt)
  })

  it('settles at start a payer whose withdrawal was requested while the scheduler was down', async () => {
    books.receive(B, 20n)
    await fx.clients[3]!.requestWithdrawal(10n * E18)
    const s = scheduler({ minAmount: E18 * 1000n })
    const confirmed = nextEvent(s, 'settle:confirmed')
    await s.start()
    expect((await confirmed).reason).to.equal('watchtower')
    expect(await paidOut(B)).to.equal(owed(20n))
  })

  it('records a failed attempt and retries it until it goes through', async () => {
    books.receive(A, 30n)
    // a relayer without gas money: the first attempt fails before it reaches the chain
    const relayer = Wallet.createRandom().connect(fx.provider)
    const chain = await EvmChain.create({ provider: fx.provider, signer: relayer }, { escrow: domain.escrow, chainId: domain.chainId })
    const s = scheduler({ minAmount: 0n, watchtower: false }, chain)
    await s.start()
    const failed = nextEvent(s, 'settle:failed')
    const first = await s.settleDue()
    expect(first.failed).to.deep.equal([books.keyOf(A).payer])
    const f = await failed
    expect(f.retryInMs).to.equal(200)
    expect(books.ledger.settlements(books.keyOf(A)).map(a => a.status)).to.deep.equal(['failed'])
    const confirmed = nextEvent(s, 'settle:confirmed')
    await fx.provider.send('anvil_setBalance', [relayer.address, '0xDE0B6B3A7640000'])
    const c = await confirmed
    expect(c.reason).to.equal('retry')
    expect(await paidOut(A)).to.equal(owed(30n))
    expect(books.ledger.settlements(books.keyOf(A)).map(a => [a.status, a.paid])).to.deep.equal([['failed', null], ['confirmed', owed(30n)]])
  })

  it('skips a pair someone else already settled with the same receipt (idempotent, no transaction)', async () => {
    const key = books.receive(A, 30n)
    const s = scheduler({ minAmount: 0n, watchtower: false })
    await s.start()
    const { settleChannel } = await import('../../../agent/settle/index.ts')
    await settleChannel({ ledger: books.ledger, chain: fx.clients[5]! }, key) // a relayer cashes it first
    expect((await s.settleDue()).txIds).to.deep.equal([])
    expect((await s.stop()).txIds).to.deep.equal([])
    expect(await paidOut(A)).to.equal(owed(30n))
  })
})
