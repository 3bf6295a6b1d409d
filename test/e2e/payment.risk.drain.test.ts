/**
 * The attack matrix, part 2 (docs/risk.md): money leaving the escrow while a seeder serves. A payer that signs
 * whatever it receives empties its free balance mid-download — at once, by settling a receipt it signed to a
 * second account it owns, or the slow way, by a withdrawal request. Without a lane the seeder loses at most its
 * credit + the exposure limit; a lane is untouched by the drain, and then the seeder loses at most its credit.
 * Real anvil, TorrentEngines over TCP, SQLite ledgers; loss = value served − the pair's paidOut at the end.
 */
import { expect } from 'chai'
import { DELAY, increaseTime } from '../agent/chain/fixture.ts'
import { toAddress } from '../../agent/pay/index.ts'
import type { TorrentEngine } from '../../agent/swarm/index.ts'
import { accountOf, KIB, report, selfReceipt, settles, sleep, until, useRiskWorld, value, type RiskPayer, type RiskSeeder, type Settlement } from './risk-helpers.ts'

const MIB = 1024n * KIB
/**
 * Larger than anything a seeder can serve once its view is drained: what it settled ahead before the attack
 * (at most the bytes served then, ATTACK_AT) + the exposure + the credit is below FILE, so whether the payer
 * finishes never depends on how fast the seeder's event feed reports the drain.
 */
const FILE = 16 << 20
/** Where the attack runs: about a quarter of the file, after the first settle-ahead (at half the exposure). */
const ATTACK_AT = 4n << 20n
const PIECE = 64 << 10
const CREDIT = 256n * KIB
/**
 * The part of a payer's free balance a seeder trusts: the most a drain can take from it. Above what is served
 * before the attack (ATTACK_AT), so no risk settlement has to run first (see the skipped test in
 * payment.risk.test.ts: a payer refused while its view is re-read is not asked again).
 */
const EXPOSURE = value(6n * MIB)
/** With a lane the free balance hardly matters. */
const SMALL_EXPOSURE = value(MIB)
const PAYER = 2
/** A second account the dishonest payer owns. */
const ACCOMPLICE = 3

describe('risk: every byte a payee serves is backed (money leaving mid-download)', function () {
  this.timeout(60_000)
  const world = useRiskWorld()

  /**
   * Runs `attack` once, on the first receipt the seeder gets after serving the payer `after` bytes. The seeder
   * settles ahead in the background, so its settlement can land between the attacker's read and its transaction
   * and make that revert: the attacker simply tries again on fresh reads, as a real one would.
   */
  async function midDownload (seeder: RiskSeeder, payer: RiskPayer, after: bigint, attack: () => Promise<void>): Promise<void> {
    const persistent = async (): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          await attack()
          return
        } catch (err) {
          if (attempt >= 3) throw err
        }
      }
    }
    await new Promise<void>((resolve, reject) => {
      let fired = false
      seeder.payments.agent.on('receipt:received', () => {
        if (fired || seeder.servedTo(payer.account) < after) return
        fired = true
        persistent().then(resolve, reject)
      })
    })
  }

  async function done (e: TorrentEngine): Promise<void> {
    await new Promise<void>(resolve => { if (e.stats().done) resolve(); else e.once('done', () => { resolve() }) })
  }

  it('without a lane: a payer that drains its free balance to a second account costs the seeder at most credit + exposure', async () => {
    const file = await world.file(FILE, PIECE)
    const DEPOSIT = 4n * value(FILE)
    await world.fund(PAYER, DEPOSIT)
    const seeder = await world.seeder(file, { key: 1, credit: CREDIT, exposureLimit: EXPOSURE })
    const payer = await world.dishonestPayer(file, PAYER, [seeder])
    let drainedFree = 0n
    let paidAtDrain = 0n
    const drained = midDownload(seeder, payer, ATTACK_AT, async () => {
      // the payer signs a receipt for all it ever deposited to its accomplice; anyone may send it
      const { receipt, signature } = await selfReceipt(world.fx, PAYER, accountOf(ACCOMPLICE), DEPOSIT)
      const result = await world.fx.clients[ACCOMPLICE]!.settle(receipt, signature)
      for (const e of result.events) if (e.name === 'Settled') drainedFree += e.paid
      paidAtDrain = (await world.fx.readOnly.laneOf(payer.account, seeder.account)).paidOut
    })
    await payer.engine.start()
    await drained
    expect(await world.fx.readOnly.balanceOf(payer.account)).to.equal(0n)
    // the seeder sees the drain on its event feed and trusts nothing more of the free balance
    await until(() => seeder.payments.coverage!.coverage(payer.account)?.total === 0n, 'the seeder to see the drain')
    const servedAtSeen = seeder.servedTo(payer.account)
    await sleep(1_000)
    expect(seeder.servedTo(payer.account)).to.equal(servedAtSeen)
    // beyond what it had cashed when the drain landed, it served at most what it trusts: exposure + credit
    const trusted = paidAtDrain + EXPOSURE + value(CREDIT)
    expect(value(servedAtSeen) <= trusted, 'served within what the seeder trusted').to.equal(true)
    // settle-ahead runs while the attack is under way, so it may have cashed enough for the whole file
    if (trusted < value(FILE)) expect(payer.engine.stats().done).to.equal(false)
    await settles(() => seeder.heldFrom(payer.account) === payer.signedTo(seeder.account), 2_000)
    await payer.stop()
    await seeder.stop()
    const loss = await world.lossOf(seeder, payer.account)
    const bound = value(CREDIT) + EXPOSURE
    report('drain, no lane', { ...loss, drainedFree, risks: seeder.settlements.filter(s => s.reason === 'risk').length, bound })
    expect(loss.loss >= 0n).to.equal(true)
    expect(loss.loss <= bound).to.equal(true)
    expect(seeder.unattributed()).to.equal(0n)
  })

  it('with a lane ≥ the download: the drain leaves the lane untouched and the seeder loses at most its credit', async () => {
    const file = await world.file(FILE, PIECE)
    const DEPOSIT = 4n * value(FILE)
    const LANE = value(FILE) + value(MIB)
    await world.fund(PAYER, DEPOSIT)
    const seeder = await world.seeder(file, { key: 1, credit: CREDIT, exposureLimit: SMALL_EXPOSURE })
    await world.fx.clients[PAYER]!.reserve([{ payee: seeder.account, amount: LANE }])
    const payer = await world.dishonestPayer(file, PAYER, [seeder])
    let laneAfterDrain: { lane: bigint, paidOut: bigint } | null = null
    const drained = midDownload(seeder, payer, ATTACK_AT, async () => {
      const { receipt, signature } = await selfReceipt(world.fx, PAYER, accountOf(ACCOMPLICE), DEPOSIT)
      const result = await world.fx.clients[ACCOMPLICE]!.settle(receipt, signature)
      expect(result.events.filter(e => e.name === 'Settled').map(e => 'paid' in e ? e.paid : 0n)).to.deep.equal([DEPOSIT - LANE])
      laneAfterDrain = await world.fx.readOnly.laneOf(payer.account, seeder.account)
    })
    await payer.engine.start()
    await drained
    expect(await world.fx.readOnly.balanceOf(payer.account)).to.equal(0n)
    // whatever the seeder cashed came out of the lane; the drain took none of it
    expect(laneAfterDrain!.lane + laneAfterDrain!.paidOut).to.equal(LANE)
    await done(payer.engine)
    await settles(() => seeder.heldFrom(payer.account) === payer.signedTo(seeder.account), 2_000)
    await payer.stop()
    await seeder.stop()
    const loss = await world.lossOf(seeder, payer.account)
    const { lane } = await world.fx.readOnly.laneOf(payer.account, seeder.account)
    report('drain, lane', { ...loss, laneLeft: lane, bound: value(CREDIT) })
    expect(loss.served >= BigInt(FILE)).to.equal(true)
    expect(loss.loss >= 0n).to.equal(true)
    expect(loss.loss <= value(CREDIT)).to.equal(true)
    expect(lane).to.equal(LANE - loss.paid)
    const bounced = (await world.events()).filter(e => e.name === 'Bounced' && toAddress(e.payee) === seeder.account)
    expect(bounced).to.deep.equal([])
  })

  it('a withdrawal requested mid-download: the seeder stops trusting it at once and settles what it holds before the unlock', async () => {
    const file = await world.file(FILE, PIECE)
    const DEPOSIT = 4n * value(FILE)
    await world.fund(PAYER, DEPOSIT)
    const seeder = await world.seeder(file, { key: 1, credit: CREDIT, exposureLimit: EXPOSURE })
    const payer = await world.dishonestPayer(file, PAYER, [seeder])
    let unlockAt = 0n
    const weighed: Array<{ unsettled: bigint, atRisk: bigint, urgent: boolean, held: bigint }> = []
    seeder.payments.scheduler!.on('watchtower:withdrawal', e => { if (e.payer === payer.account) weighed.push({ ...e, held: seeder.heldFrom(payer.account) }) })
    const requested = midDownload(seeder, payer, ATTACK_AT, async () => {
      const free = await world.fx.readOnly.balanceOf(payer.account)
      const result = await payer.client.requestWithdrawal(free)
      for (const e of result.events) if (e.name === 'WithdrawalRequested') unlockAt = e.unlockAt
    })
    await payer.engine.start()
    await requested
    expect(unlockAt > 0n).to.equal(true)
    await until(() => seeder.payments.coverage!.coverage(payer.account)?.free === 0n, 'the seeder to stop trusting the free balance')
    const servedAtSeen = seeder.servedTo(payer.account)
    // the watchtower weighs the request: all it holds unsettled is at risk, worth settling at once
    await until(() => weighed.length > 0, 'the watchtower to weigh the request')
    expect(weighed[0]!.urgent).to.equal(weighed[0]!.unsettled > 0n)
    expect(weighed[0]!.atRisk).to.equal(weighed[0]!.unsettled)
    // what it held then is settled at once: by the watchtower, or by the risk check when that gets there first
    // (the free balance it no longer trusts carried it); either way long before the unlock
    const urgent = (): Settlement[] => seeder.settlements.filter(s => s.reason === 'watchtower' || s.reason === 'risk')
    await until(async () => urgent().length > 0 && (await world.fx.readOnly.laneOf(payer.account, seeder.account)).paidOut >= weighed[0]!.held, 'what the seeder held to be settled')
    const last = urgent()[urgent().length - 1]!
    const mined = await world.fx.provider.getTransactionReceipt(last.txId)
    const block = await world.fx.provider.getBlock(mined!.blockNumber)
    expect(BigInt(block!.timestamp) < unlockAt, 'settled before the unlock').to.equal(true)
    await sleep(1_000)
    expect(seeder.servedTo(payer.account)).to.equal(servedAtSeen)
    await settles(() => seeder.heldFrom(payer.account) === payer.signedTo(seeder.account), 2_000)
    // the payer takes its money the moment it unlocks, before the seeder's final settlement
    await increaseTime(world.fx, DELAY)
    await payer.client.withdraw()
    await payer.stop()
    await seeder.stop()
    const loss = await world.lossOf(seeder, payer.account)
    const bound = value(CREDIT) + EXPOSURE
    report('withdrawal race', { ...loss, settledBy: last.reason, settledThen: last.paid.get(payer.account) ?? 0n, atRisk: weighed[0]!.atRisk, servedAtSeen, bound })
    expect(loss.loss >= 0n).to.equal(true)
    expect(loss.loss <= bound).to.equal(true)
  })
})
