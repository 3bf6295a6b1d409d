/**
 * The watchtower on anvil, through the scheduler: a replaced signer, a watched payer with no channel yet, a lane
 * release, the griefing bound, and settleNow.
 */
import { expect } from 'chai'
import { Wallet } from 'ethers'
import { useChainFixture, fund, E18 } from '../chain/fixture.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { amountFor, MIB, toAddress, type EscrowDomain } from '../../../agent/pay/index.ts'
import { SettlementScheduler, type SettlementEvents } from '../../../agent/settle/index.ts'
import { payeeBooks, nextEvent, logger, PRICE, type PayeeBooks } from './helpers.ts'

const PAYEE_KEY = ANVIL_KEYS[1]
const [A, B] = [ANVIL_KEYS[2], ANVIL_KEYS[3]] as const
const owed = (mib: bigint): bigint => amountFor(mib * MIB, PRICE)

describe('Watchtower', function () {
  this.timeout(60_000)
  const fx = useChainFixture()
  let domain: EscrowDomain
  let books: PayeeBooks
  const schedulers: SettlementScheduler[] = []
  const payer = (key: string): ReturnType<typeof toAddress> => toAddress(new Wallet(key).address)
  const client = (key: string): typeof fx.clients[number] => fx.clients[(ANVIL_KEYS as readonly string[]).indexOf(key)]!

  before(() => { domain = { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex } })
  beforeEach(() => { books = payeeBooks(domain, PAYEE_KEY) })
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop()
    books.close()
  })

  /** A scheduler that never settles on its threshold: whatever it sends, the watchtower (or settleNow) asked for. */
  const scheduler = (init: Partial<ConstructorParameters<typeof SettlementScheduler>[1]> = {}): { s: SettlementScheduler, sent: Array<SettlementEvents['settle:sent']> } => {
    const s = new SettlementScheduler({ logger, ledger: books.ledger, chain: fx.clients[1]! }, { payee: books.payee, minAmount: 1000n * E18, intervalMs: 3_600_000, pollMs: 3_600_000, retryMs: 200, ...init })
    schedulers.push(s)
    const sent: Array<SettlementEvents['settle:sent']> = []
    s.on('settle:sent', e => sent.push(e))
    return { s, sent }
  }
  /** Waits until every pass the watchtower may have started is done (passes are serialised). */
  const settled = async (s: SettlementScheduler): Promise<void> => { await s.pollWatchtower(); await s.settleAll([]) }
  const paidOut = async (key: string): Promise<bigint> => await fx.readOnly.paidOut(payer(key), books.payee)

  it('settles at once the receipts signed by a key the payer just replaced (they die at previousValidUntil)', async () => {
    await fund(client(A), 10n * E18)
    const hot = Wallet.createRandom()
    await client(A).setSigner(hot.address) // a first signer replaces no one
    books.receive(A, 40n, hot.privateKey)
    const { s } = scheduler()
    await s.start()
    const seen = nextEvent(s, 'watchtower:signer')
    const confirmed = nextEvent(s, 'settle:confirmed')
    const change = await client(A).setSigner(Wallet.createRandom().address)
    await s.pollWatchtower()
    const e = await seen
    expect(e).to.include({ payer: payer(A), previous: toAddress(hot.address), txId: change.txId, unsettled: owed(40n), atRisk: owed(40n), urgent: true })
    expect(e.previousValidUntil > 0n).to.equal(true)
    const c = await confirmed
    expect(c.reason).to.equal('signer')
    expect(await paidOut(A)).to.equal(owed(40n))
  })

  it('leaves a pair alone when the replaced key did not sign our newest receipt', async () => {
    await fund(client(A), 10n * E18)
    await client(A).setSigner(Wallet.createRandom().address)
    books.receive(A, 40n) // signed by the payer's own key, which never stops counting
    const { s, sent } = scheduler()
    await s.start()
    const seen = nextEvent(s, 'watchtower:signer')
    await client(A).setSigner(Wallet.createRandom().address)
    await s.pollWatchtower()
    expect(await seen).to.include({ unsettled: owed(40n), atRisk: 0n, urgent: false })
    await settled(s)
    expect(sent).to.deep.equal([])
  })

  it('settles at start receipts whose signer was replaced while the scheduler was down', async () => {
    await fund(client(A), 10n * E18)
    const hot = Wallet.createRandom()
    await client(A).setSigner(hot.address)
    books.receive(A, 25n, hot.privateKey)
    await client(A).setSigner(Wallet.createRandom().address)
    const { s } = scheduler()
    const confirmed = nextEvent(s, 'settle:confirmed')
    await s.start()
    expect((await confirmed).reason).to.equal('signer')
    expect(await paidOut(A)).to.equal(owed(25n))
  })

  it('handles a withdrawal request by a watched payer that has no channel yet, once receipts arrive', async () => {
    await fund(client(A), 10n * E18)
    await fund(client(B), 10n * E18)
    const { s, sent } = scheduler()
    await s.start()
    s.watch(payer(A)) // its hello was verified; no receipt yet
    const events: Array<SettlementEvents['watchtower:withdrawal']> = []
    s.on('watchtower:withdrawal', e => events.push(e))
    await client(A).requestWithdrawal(10n * E18)
    await client(B).requestWithdrawal(10n * E18) // never served, never watched: not ours to weigh
    await settled(s)
    expect(events.map(e => [e.payer, e.unsettled, e.atRisk, e.urgent])).to.deep.equal([[payer(A), 0n, 0n, false]])
    // A now downloads; the pending withdrawal makes its receipts urgent at the next pass, below any threshold
    books.receive(A, 30n)
    const summary = await s.settleDue()
    expect([...summary.paid]).to.deep.equal([[payer(A), owed(30n)]])
    expect(sent.map(e => e.reason)).to.deep.equal(['watchtower'])
  })

  it('a tiny withdrawal that leaves little at risk triggers no settlement (griefing bound); one that leaves a lot does', async () => {
    // A deposits exactly what it owes us plus dust, then asks for dust back again and again
    const debt = owed(40n)
    await fund(client(A), debt)
    books.receive(A, 40n)
    const { s, sent } = scheduler()
    await s.start()
    const seen: Array<SettlementEvents['watchtower:withdrawal']> = []
    s.on('watchtower:withdrawal', e => seen.push(e))
    for (let i = 0; i < 3; i++) {
      await client(A).requestWithdrawal(1_000n) // 1,000 base units: far below one settlement's cost
      await s.pollWatchtower() // (a request cancelled within the same poll is not weighed at all)
      await client(A).cancelWithdrawal()
    }
    await settled(s)
    expect(seen.map(e => [e.atRisk, e.urgent])).to.deep.equal([[1_000n, false], [1_000n, false], [1_000n, false]])
    expect(s.urgentCost > 1_000n).to.equal(true)
    expect(sent).to.deep.equal([])
    // asking for everything puts the whole debt at risk: settled at once
    const confirmed = nextEvent(s, 'settle:confirmed')
    await client(A).requestWithdrawal(debt)
    await s.pollWatchtower()
    expect((await confirmed).reason).to.equal('watchtower')
    expect(await paidOut(A)).to.equal(debt)
  })

  it('settles at once when a payer asks to release the lane that backs our receipts', async () => {
    await fund(client(A), 10n * E18)
    await client(A).reserve([{ payee: books.payee, amount: 10n * E18 }]) // everything in the lane, nothing free
    books.receive(A, 50n)
    const { s } = scheduler()
    await s.start()
    const seen = nextEvent(s, 'watchtower:release')
    const confirmed = nextEvent(s, 'settle:confirmed')
    await client(A).requestRelease(books.payee, 10n * E18)
    await s.pollWatchtower()
    expect(await seen).to.include({ payer: payer(A), unsettled: owed(50n), atRisk: owed(50n), urgent: true })
    expect((await confirmed).reason).to.equal('release')
    expect(await paidOut(A)).to.equal(owed(50n))
    expect((await fx.readOnly.laneOf(payer(A), books.payee)).lane).to.equal(10n * E18 - owed(50n)) // paid from the lane
  })

  it('settleNow settles the given payers at once, whatever the threshold, under reason risk', async () => {
    await fund(client(A), 10n * E18)
    await fund(client(B), 10n * E18)
    books.receive(A, 3n)
    books.receive(B, 4n)
    const { s, sent } = scheduler({ watchtower: false })
    await s.start()
    const summary = await s.settleNow([payer(B)], 'risk')
    expect([...summary.paid]).to.deep.equal([[payer(B), owed(4n)]])
    expect(sent.map(e => [e.reason, e.entries.map(x => x.payer)])).to.deep.equal([['risk', [payer(B)]]])
    expect(await paidOut(A)).to.equal(0n)
  })

  it('shares an injected feed and exposes it; a feed it did not start is left running', async () => {
    const first = scheduler()
    const { s } = scheduler({ watchtower: true })
    expect(s.feed).to.not.equal(first.s.feed)
    await first.s.start()
    const shared = new SettlementScheduler({ logger, ledger: books.ledger, chain: fx.clients[1]!, feed: first.s.feed }, { payee: books.payee, minAmount: E18 })
    expect(shared.feed).to.equal(first.s.feed)
    await shared.start()
    await shared.stop()
    expect(first.s.feed.running).to.equal(true)
  })
})
