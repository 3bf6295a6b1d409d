/**
 * The audit of lanes on anvil: two payers reserve lanes for two payees, settle from lane and free balance (alone
 * and in a batch), release part of a lane after the delay, withdraw, leave one release expired and one locked;
 * the lanes and free balances rebuilt from events then equal `laneOf`/`releaseOf`/`balanceOf` to the unit, and a
 * node that lost one log is reported with the figures that differ.
 */
import { expect } from 'chai'
import { getBytes, hexlify, Wallet } from 'ethers'
import { useChainFixture, fund, increaseTime, DELAY, E18 } from '../chain/fixture.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { amountFor, HotKeySigner, MIB, receiptDigest, toAddress, type Address, type EscrowDomain } from '../../../agent/pay/index.ts'
import { settleChannel, settleChannels } from '../../../agent/settle/index.ts'
import { auditPayee, auditTable, auditJson, reconcile, type AuditComponents, type AuditReport } from '../../../agent/audit/index.ts'
import { Ledger } from '../../../agent/ledger/index.ts'
import { payeeBooks, PRICE, type PayeeBooks } from '../settle/helpers.ts'

const P_KEY = ANVIL_KEYS[1]
const Q_KEY = ANVIL_KEYS[5]
const [A, B] = [ANVIL_KEYS[2], ANVIL_KEYS[3]] as const
/** Tenths of a BTT, so the figures below read as the scenario says. */
const btt = (tenths: bigint): bigint => tenths * E18 / 10n
const owed = (mib: bigint): bigint => amountFor(mib * MIB, PRICE)
const addressOf = (key: string): Address => toAddress(new Wallet(key).address)

describe('audit: lanes and free balances rebuilt from events', function () {
  this.timeout(60_000)
  const fx = useChainFixture()
  let domain: EscrowDomain
  let books: PayeeBooks
  const [a, b, q] = [addressOf(A), addressOf(B), addressOf(Q_KEY)]
  before(() => { domain = { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex } })
  beforeEach(async () => {
    books = payeeBooks(domain, P_KEY)
    await fund(fx.clients[2]!, 10n * E18)
    await fund(fx.clients[3]!, 10n * E18)
  })
  afterEach(() => { books.close() })

  const chainNow = async (): Promise<bigint> => BigInt((await fx.provider.getBlock('latest'))!.timestamp)
  const signed = (payerKey: string, payee: Address, mib: bigint): { receipt: { payer: Address, payee: Address, cumulativeBytes: bigint, cumulativeAmount: bigint }, sig: Uint8Array } => {
    const receipt = { payer: addressOf(payerKey), payee, cumulativeBytes: mib * MIB, cumulativeAmount: owed(mib) }
    return { receipt, sig: new HotKeySigner(payerKey).signDigest(getBytes(receiptDigest(domain, receipt))) }
  }

  /**
   * A reserves 2 BTT for P and 1 for Q, B 0.5 for P. P settles A alone (1.0, lane), then A and B in one batch
   * (A 0.5 from lane; B 0.5 from lane + 0.3 free); Q settles A 1.5 (1.0 lane + 0.5 free). A releases 0.4 of P's
   * lane after the delay, B withdraws 1; P settles A 0.2 (0.1 lane + 0.1 free). A reserves 0.5 for Q and requests
   * its release, left to expire; B reserves 1.0 more for P and requests 0.6 back (still locked).
   */
  async function scenario (): Promise<void> {
    const [ca, cb, p] = [fx.clients[2]!, fx.clients[3]!, fx.clients[1]!]
    await ca.reserve([{ payee: books.payee, amount: btt(20n) }, { payee: q, amount: btt(10n) }])
    await cb.reserve([{ payee: books.payee, amount: btt(5n) }])
    await settleChannel({ ledger: books.ledger, chain: p }, books.receive(A, 100n))
    await settleChannels({ ledger: books.ledger, chain: p }, books.payee, [books.receive(A, 150n), books.receive(B, 80n)])
    await ca.requestRelease(books.payee, btt(4n))
    await cb.requestWithdrawal(btt(10n))
    const toQ = signed(A, q, 150n)
    await fx.clients[5]!.settle(toQ.receipt, hexlify(toQ.sig))
    await increaseTime(fx, DELAY)
    await ca.release(books.payee)
    await cb.withdraw()
    await settleChannel({ ledger: books.ledger, chain: p }, books.receive(A, 170n))
    await ca.reserve([{ payee: q, amount: btt(5n) }])
    await ca.requestRelease(q, btt(5n))
    await increaseTime(fx, 2n * DELAY)
    await cb.reserve([{ payee: books.payee, amount: btt(10n) }])
    await cb.requestRelease(books.payee, btt(6n))
  }

  const laneFigures = (report: AuditReport, payer: Address, payee: Address): unknown[] => {
    const p = report.pairs.find(x => x.payer === payer && x.payee === payee)!
    return [p.chain.paid, p.lane.lane, p.lane.onChain, p.lane.reserved, p.lane.released, p.lane.paidFromLane, p.lane.paidFromFree, p.lane.pendingRelease?.amount ?? null, p.lane.pendingRelease?.state ?? null]
  }
  const payerFigures = (report: AuditReport, payer: Address): unknown[] => {
    const f = report.payers.find(x => x.payer === payer)!
    return [f.free, f.onChain, f.deposited, f.withdrawn, f.reserved, f.released, f.paidFromFree]
  }

  it('a payee audit matches the chain exactly: lanes, lane vs free parts, releases and free balances', async () => {
    await scenario()
    const now = await chainNow()
    const report = await auditPayee({ chain: fx.readOnly, ledger: books.ledger }, books.payee, { now })
    expect(report.mismatches).to.deep.equal([])
    expect(report.ok).to.equal(true)
    expect(report.withdrawalWindow).to.equal(DELAY)
    //                                              paid      lane  laneOf  reserved  released  fromLane  fromFree  release  state
    expect(laneFigures(report, a, books.payee)).to.deep.equal([btt(17n), 0n, 0n, btt(20n), btt(4n), btt(16n), btt(1n), null, null])
    expect(laneFigures(report, b, books.payee)).to.deep.equal([btt(8n), btt(10n), btt(10n), btt(15n), 0n, btt(5n), btt(3n), btt(6n), 'locked'])
    expect(report.pairs.map(p => p.payee)).to.not.include(q) // a payee audit holds the payee's pairs only
    // A's free balance also paid Q: 10 − 3.5 into lanes + 0.4 back − 0.6 of settlements (0.1 to P, 0.5 to Q)
    //                                   free      balanceOf  deposited  withdrawn  into lanes  out     paidFromFree
    expect(payerFigures(report, a)).to.deep.equal([btt(63n), btt(63n), btt(100n), 0n, btt(35n), btt(4n), btt(6n)])
    expect(payerFigures(report, b)).to.deep.equal([btt(72n), btt(72n), btt(100n), btt(10n), btt(15n), 0n, btt(3n)])
    expect(await fx.readOnly.balanceOf(a)).to.equal(btt(63n))
    expect([report.totals.paid, report.totals.lane, report.totals.paidFromLane, report.totals.paidFromFree]).to.deep.equal([btt(25n), btt(10n), btt(21n), btt(4n)])

    const table = auditTable(report, { fullAddresses: true })
    expect(table).to.contain('paid from lane')
    expect(table).to.match(new RegExp(`${b}\\s+1 BTT\\s+0\\.5 BTT\\s+0\\.3 BTT\\s+0\\.6 BTT, unlocks `))
    expect(table).to.match(new RegExp(`${a}\\s+6\\.3 BTT\\s+10 BTT\\s+0 BTT\\s+3\\.5 BTT\\s+0\\.4 BTT\\s+0\\.6 BTT\\s+✓`))
    expect(table).to.not.contain('✗')
    const json = auditJson(report) as { payers: Array<{ payer: string, free: string }>, pairs: Array<{ lane: { paidFromLane: string } }> }
    expect(json.payers.find(x => x.payer === a)?.free).to.equal(btt(63n).toString())
    expect(json.pairs.map(x => x.lane.paidFromLane)).to.have.members([btt(16n).toString(), btt(5n).toString()])
  })

  it('a payer audit shows its lanes for every payee, with the expired release marked expired', async () => {
    await scenario()
    const payerBooks = new Ledger({}, { path: `${books.dir}/payer.db`, synchronous: 'NORMAL' })
    try {
      for (const h of books.ledger.history(books.keyOf(A))) payerBooks.record(books.keyOf(A), 'payer', h)
      const toQ = signed(A, q, 150n)
      payerBooks.record({ ...books.keyOf(A), payee: q }, 'payer', { bytes: toQ.receipt.cumulativeBytes, amount: toQ.receipt.cumulativeAmount, sig: toQ.sig })
      const report = await reconcile({ chain: fx.readOnly, ledger: payerBooks }, { payer: a }, { now: await chainNow() })
      expect(report.mismatches).to.deep.equal([])
      expect(laneFigures(report, a, q)).to.deep.equal([btt(15n), btt(5n), btt(5n), btt(15n), 0n, btt(10n), btt(5n), btt(5n), 'expired'])
      expect(laneFigures(report, a, books.payee)).to.deep.equal([btt(17n), 0n, 0n, btt(20n), btt(4n), btt(16n), btt(1n), null, null])
      expect(report.payers.map(p => [p.payer, p.free, p.onChain])).to.deep.equal([[a, btt(63n), btt(63n)]])
      expect(auditTable(report)).to.contain('0.5 BTT, expired (unlocked ')
    } finally {
      payerBooks.close()
    }
  })

  it('reports a node that lost a LaneReleased log: the lane, the pending release and the free balance, with their figures', async () => {
    await scenario()
    const ro = fx.readOnly
    // the escrow's own views, but events from a node that dropped one log
    const lossy: AuditComponents['chain'] = {
      chainId: ro.chainId,
      escrow: ro.escrow,
      feeUnit: ro.feeUnit,
      blockNumber: ro.blockNumber.bind(ro),
      unclaimedOf: ro.unclaimedOf.bind(ro),
      laneOf: ro.laneOf.bind(ro),
      balanceOf: ro.balanceOf.bind(ro),
      pendingRelease: ro.pendingRelease.bind(ro),
      withdrawalWindow: ro.withdrawalWindow.bind(ro),
      eventsSince: async (from, options) => {
        const page = await ro.eventsSince(from, options)
        return { ...page, events: page.events.filter(e => e.name !== 'LaneReleased') }
      }
    }
    const report = await auditPayee({ chain: lossy, ledger: books.ledger }, books.payee, { now: await chainNow() })
    expect(report.ok).to.equal(false)
    // without the release, P's last 0.2 came all from a 0.3 lane, and A's 0.4 never went back to its free balance
    expect(report.mismatches.map(m => [m.kind, m.payer, m.payee, m.chain, m.ledger])).to.deep.equal([
      ['lane', a, books.payee, btt(3n), 0n],
      ['release', a, books.payee, undefined, undefined],
      ['balance', a, null, btt(60n), btt(63n)]
    ])
    expect(laneFigures(report, a, books.payee).slice(5, 7)).to.deep.equal([btt(17n), 0n])
    const table = auditTable(report)
    expect(table).to.contain('✗ lane, release')
    expect(table).to.contain('✗ events say 6 BTT')
    expect(table).to.contain("events rebuild a lane of 300000000000000000 but the escrow's laneOf is 0")
  })

  it('reports the lanes and balances of events read from after the reservations', async () => {
    await fx.clients[2]!.reserve([{ payee: books.payee, amount: btt(20n) }])
    const from = await fx.provider.getBlockNumber() + 1
    await settleChannel({ ledger: books.ledger, chain: fx.clients[1]! }, books.receive(A, 50n))
    const report = await reconcile({ chain: fx.readOnly, ledger: books.ledger }, { payee: books.payee }, { fromBlock: from })
    // the replay saw no lane, so it took the 0.5 from A's free balance: the lane looks 1.5 short, the balance 9.5 short
    expect(report.mismatches.map(m => [m.kind, m.chain, m.ledger])).to.deep.equal([
      ['lane', 0n, btt(15n)],
      ['balance', -btt(5n), btt(80n)]
    ])
  })
})
