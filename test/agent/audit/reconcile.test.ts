/**
 * The audit on anvil with a real SQLite ledger: totals rebuilt from Settled (alone and batch records) and
 * Bounced events match the ledger after clean settlements, and every kind of tampering is reported.
 */
import { expect } from 'chai'
import { getBytes, hexlify } from 'ethers'
import { useChainFixture, fund, E18 } from '../chain/fixture.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { amountFor, HotKeySigner, MIB, receiptDigest, type EscrowDomain } from '../../../agent/pay/index.ts'
import { settleChannel, settleChannels } from '../../../agent/settle/index.ts'
import { auditPayee, auditTable, auditJson, reconcile, GIB } from '../../../agent/audit/index.ts'
import { Ledger } from '../../../agent/ledger/index.ts'
import { payeeBooks, PRICE, type PayeeBooks } from '../settle/helpers.ts'

const PAYEE_KEY = ANVIL_KEYS[1]
const [A, B, C] = [ANVIL_KEYS[2], ANVIL_KEYS[3], ANVIL_KEYS[4]] as const
const owed = (mib: bigint): bigint => amountFor(mib * MIB, PRICE)

describe('audit: reconcile events with the ledger', function () {
  this.timeout(60_000)
  const fx = useChainFixture()
  let domain: EscrowDomain
  let books: PayeeBooks
  before(() => { domain = { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex } })
  beforeEach(async () => {
    books = payeeBooks(domain, PAYEE_KEY)
    for (const i of [2, 3, 4]) await fund(fx.clients[i]!, 10n * E18)
  })
  afterEach(() => { books.close() })

  const chain = (): typeof fx.readOnly => fx.readOnly
  const components = (): { chain: typeof fx.readOnly, ledger: Ledger } => ({ chain: chain(), ledger: books.ledger })

  /** A alone, B and C in one batch, then A receives more (unsettled). */
  async function settleSome (): Promise<void> {
    const a = books.receive(A, 100n)
    const b = books.receive(B, 200n)
    const c = books.receive(C, 300n)
    const payee = fx.clients[1]!
    await settleChannel({ ledger: books.ledger, chain: payee }, a)
    await settleChannels({ ledger: books.ledger, chain: payee }, books.payee, [b, c])
    books.receive(A, 150n)
  }

  it('a clean run matches: paid, bytes, unsettled and BTT per GiB per pair, from single and batch settlements', async () => {
    await settleSome()
    const report = await auditPayee(components(), books.payee)
    expect(report.mismatches).to.deep.equal([])
    expect(report.ok).to.equal(true)
    const byPayer = new Map(report.pairs.map(p => [p.payer, p]))
    const a = byPayer.get(books.keyOf(A).payer)!
    expect([a.chain.paid, a.chain.bytes, a.unsettledAmount, a.unsettledBytes]).to.deep.equal([owed(100n), 100n * MIB, owed(50n), 50n * MIB])
    const c = byPayer.get(books.keyOf(C).payer)!
    expect([c.chain.paid, c.chain.settlements, c.unsettledAmount, c.ledger?.confirmedPaid]).to.deep.equal([owed(300n), 1, 0n, owed(300n)])
    expect(c.tokenPerGiB).to.equal(PRICE * GIB / MIB)
    expect(report.totals.paid).to.equal(owed(600n))
    expect(report.totals.unsettled).to.equal(owed(50n))
    const table = auditTable(report)
    expect(table).to.contain('✓')
    expect(table).to.not.contain('✗')
    expect(JSON.stringify(auditJson(report))).to.contain(owed(300n).toString())
  })

  it('reports a tampered settlement row as a paid mismatch', async () => {
    await settleSome()
    books.ledger.db.prepare("UPDATE settlements SET paid = '1' WHERE id = (SELECT min(id) FROM settlements)").run()
    const report = await auditPayee(components(), books.payee)
    expect(report.ok).to.equal(false)
    expect(report.mismatches.map(m => [m.kind, m.payer, m.chain, m.ledger])).to.deep.equal([['paid', books.keyOf(A).payer, owed(100n), 1n]])
    expect(auditTable(report)).to.contain('✗ paid')
  })

  it('reports a tampered newest receipt (lowered below what the escrow cashed)', async () => {
    await settleSome()
    books.ledger.db.prepare("UPDATE channels SET newest_amount = '5' WHERE payer = ?").run(books.keyOf(B).payer)
    const report = await auditPayee(components(), books.payee)
    expect(report.mismatches.map(m => m.kind).sort()).to.deep.equal(['beyond-newest', 'ledger'])
  })

  it('reports a receipt the escrow paid that the ledger does not know', async () => {
    const key = books.receive(A, 30n)
    // the payer signed a bigger receipt that reached the chain without passing through our ledger
    const receipt = { payer: key.payer, payee: key.payee, cumulativeBytes: 80n * MIB, cumulativeAmount: owed(80n) }
    const sig = hexlify(new HotKeySigner(A).signDigest(getBytes(receiptDigest(domain, receipt))))
    await fx.clients[6]!.settle(receipt, sig)
    const report = await auditPayee(components(), books.payee)
    expect(report.mismatches.map(m => m.kind).sort()).to.deep.equal(['beyond-newest', 'paid', 'unknown-receipt'])
  })

  it('reports payouts on a pair the ledger has no channel for', async () => {
    const receipt = { payer: books.keyOf(C).payer, payee: books.payee, cumulativeBytes: MIB, cumulativeAmount: owed(1n) }
    const sig = hexlify(new HotKeySigner(C).signDigest(getBytes(receiptDigest(domain, receipt))))
    await fx.clients[1]!.settle(receipt, sig)
    const report = await auditPayee(components(), books.payee)
    expect(report.mismatches.map(m => [m.kind, m.payer])).to.deep.equal([['unknown-pair', books.keyOf(C).payer]])
  })

  it('rebuilds a bounce from events: the shortfall is reported, and the books still match', async () => {
    await fx.clients[2]!.requestWithdrawal(10n * E18)
    await fx.provider.send('evm_increaseTime', [3_700])
    await fx.clients[2]!.withdraw()
    await fx.clients[2]!.mintTestBTT(fx.clients[2]!.account!, owed(10n))
    await fx.clients[2]!.approve(owed(10n))
    await fx.clients[2]!.deposit(owed(10n)) // A can now pay 10 MiB worth of its 40
    const a = books.receive(A, 40n)
    const b = books.receive(B, 40n)
    await settleChannels({ ledger: books.ledger, chain: fx.clients[1]! }, books.payee, [a, b])
    const report = await auditPayee(components(), books.payee)
    expect(report.mismatches).to.deep.equal([])
    const pa = report.pairs.find(p => p.payer === a.payer)!
    expect([pa.chain.paid, pa.chain.bounced, pa.chain.bounces, pa.unsettledAmount]).to.deep.equal([owed(10n), owed(30n), 1, owed(30n)])
    expect(report.totals.bounced).to.equal(owed(30n))
  })

  it('reports events missing when read from too late a block (events vs paidOut and balanceOf)', async () => {
    await settleSome()
    const late = await fx.provider.getBlockNumber() + 1
    const report = await reconcile(components(), { payee: books.payee }, { fromBlock: late })
    expect(new Set(report.mismatches.map(m => m.kind))).to.deep.equal(new Set(['state', 'paid', 'balance']))
  })

  it('audits a payer: what the escrow cashed against the receipts it signed', async () => {
    await settleSome()
    const payerBooks = new Ledger({}, { path: `${books.dir}/payer.db`, synchronous: 'NORMAL' })
    try {
      for (const h of books.ledger.history(books.keyOf(A))) payerBooks.record(books.keyOf(A), 'payer', h)
      const clean = await reconcile({ chain: chain(), ledger: payerBooks }, { payer: books.keyOf(A).payer })
      expect(clean.ok).to.equal(true)
      expect(clean.pairs.map(p => [p.payee, p.chain.paid, p.unsettledAmount])).to.deep.equal([[books.payee, owed(100n), owed(50n)]])
      // a payer that lost its newest receipts: the escrow cashed one it has no record of
      const other = await reconcile({ chain: chain(), ledger: payerBooks }, { payer: books.keyOf(B).payer })
      expect(other.mismatches.map(m => m.kind)).to.deep.equal(['unknown-pair'])
    } finally {
      payerBooks.close()
    }
  })
})
