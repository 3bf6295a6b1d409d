/**
 * The attack matrix, part 3 (docs/risk.md): the honest payer (createPayments, payer role, as `seedpay get`).
 * It never signs what it cannot pay — over three charging seeders at once with a free balance smaller than the
 * file, and within a `--budget` cap smaller than its balance — so every seeder's final settlement pays its
 * newest receipt in full; and it reserves, in one transaction, the lane a seeder's hello asks for.
 * Real anvil, TorrentEngines over TCP, SQLite ledgers.
 */
import { expect } from 'chai'
import { toAddress } from '../../agent/pay/index.ts'
import { KIB, report, settles, signingStops, useRiskWorld, value, type RiskPayer, type RiskSeeder } from './risk-helpers.ts'

const MIB = 1024n * KIB
const FILE = 4 << 20
const PIECE = 64 << 10
const CREDIT = 256n * KIB

describe('risk: every byte a payee serves is backed (honest payers)', function () {
  this.timeout(60_000)
  const world = useRiskWorld()

  /** Waits until every receipt the payer signed reached its seeder (or 2 s), then stops the payer and the seeders. */
  async function finish (payer: RiskPayer, seeders: readonly RiskSeeder[]): Promise<void> {
    await settles(() => seeders.every(s => s.heldFrom(payer.account) === payer.signedTo(s.account)), 2_000)
    await payer.stop()
    for (const s of seeders) await s.stop()
  }

  function exhausted (payer: RiskPayer): Promise<{ spent: bigint, cap: bigint | null, free: bigint }> {
    return new Promise(resolve => { payer.agent.once('budget:exhausted', resolve) })
  }

  it('three charging seeders at once, free balance < the file: Σ signed ≤ the balance, budget:exhausted, every seeder paid its newest receipt in full', async () => {
    const file = await world.file(FILE, PIECE)
    // a whole number of pieces (24 of 64), so the budget can be spent to the last base unit
    const FREE = value(3n * MIB / 2n)
    await world.fund(4, FREE)
    const seeders = [
      await world.seeder(file, { key: 1, credit: CREDIT }),
      await world.seeder(file, { key: 2, credit: CREDIT }),
      await world.seeder(file, { key: 3, credit: CREDIT })
    ]
    const payer = await world.honestPayer(file, 4, seeders)
    const spent = exhausted(payer)
    await payer.engine.start()
    const e = await Promise.race([spent, new Promise<null>(resolve => setTimeout(() => resolve(null), 15_000))])
    // what the seeders sent in flight is verified and paid within what is left
    await signingStops(payer)
    await finish(payer, seeders)
    const signed = seeders.map(s => payer.signedTo(s.account))
    const total = signed.reduce((a, b) => a + b, 0n)
    const losses = await Promise.all(seeders.map(async s => await world.lossOf(s, payer.account)))
    report('three seeders', {
      free: FREE, spentAtEvent: e?.spent ?? -1n, signed: signed.join('/'), total, exhausted: e !== null,
      served: losses.map(l => l.served).join('/'), paid: losses.map(l => l.paid).join('/'), loss: losses.map(l => l.loss).join('/'), boundEach: value(CREDIT)
    })
    expect(total <= FREE).to.equal(true)
    expect(e, 'budget:exhausted').to.not.equal(null)
    expect(e!.cap).to.equal(null)
    for (const [i, s] of seeders.entries()) {
      expect(signed[i]! > 0n, `seeder ${i} was paid something`).to.equal(true)
      // the final settlement paid the newest receipt it holds, in full
      expect(losses[i]!.paid).to.equal(s.heldFrom(payer.account))
      expect(losses[i]!.loss >= 0n && losses[i]!.loss <= value(CREDIT)).to.equal(true)
    }
    expect((await world.events()).filter(x => x.name === 'Bounced')).to.deep.equal([])
  })

  it('with --budget below its balance, the payer signs at most the budget in total', async () => {
    const file = await world.file(FILE, PIECE)
    // more than one MiB: a budget with room for at most one MiB at the price counts as spent from the start (dust)
    const BUDGET = value(2n * MIB)
    await world.fund(4, 2n * value(FILE))
    const seeder = await world.seeder(file, { key: 1, credit: CREDIT })
    const payer = await world.honestPayer(file, 4, [seeder], { budget: BUDGET })
    const spent = exhausted(payer)
    await payer.engine.start()
    const e = await Promise.race([spent, new Promise<null>(resolve => setTimeout(() => resolve(null), 15_000))])
    await signingStops(payer)
    await finish(payer, [seeder])
    const loss = await world.lossOf(seeder, payer.account)
    report('budget cap', { budget: BUDGET, spentAtEvent: e?.spent ?? -1n, signed: payer.signedTo(seeder.account), exhausted: e !== null, ...loss, bound: value(CREDIT) })
    expect(payer.signedTo(seeder.account) <= BUDGET).to.equal(true)
    expect(e, 'budget:exhausted').to.not.equal(null)
    expect(e!.cap).to.equal(BUDGET)
    expect(e!.spent <= BUDGET).to.equal(true)
    expect(payer.engine.stats().done).to.equal(false)
    expect(loss.paid).to.equal(seeder.heldFrom(payer.account))
    expect(loss.loss >= 0n && loss.loss <= value(CREDIT)).to.equal(true)
  })

  /** A seeder asking for a lane of WANT (and trusting little of the free balance) and an honest payer, run to the end. */
  async function autoLane (): Promise<{ seeder: RiskSeeder, payer: RiskPayer, WANT: bigint, reserved: Array<{ txId: string, lanes: Array<{ payee: string, amount: bigint }> }>, laneSeen: boolean }> {
    const file = await world.file(FILE, PIECE)
    const WANT = 2n * value(FILE)
    await world.fund(4, 3n * value(FILE))
    // a small exposure: the download goes through only on the lane
    const seeder = await world.seeder(file, { key: 1, credit: CREDIT, exposureLimit: value(CREDIT), wantLane: WANT })
    const payer = await world.honestPayer(file, 4, [seeder])
    const reserved: Array<{ txId: string, lanes: Array<{ payee: string, amount: bigint }> }> = []
    payer.agent.on('lane:reserved', e => { reserved.push(e) })
    let laneSeen = false
    // the whole reservation in the seeder's view: what is left of the lane plus what it was paid from it
    seeder.payments.coverage!.on('coverage:changed', ({ payer: p }) => {
      const b = seeder.payments.coverage!.book.get(p)
      if (p === payer.account && b !== undefined && b.lane > 0n && b.lane + b.paidOut === WANT) laneSeen = true
    })
    const done = new Promise<void>(resolve => { payer.engine.once('done', () => { resolve() }) })
    await payer.engine.start()
    await done
    await finish(payer, [seeder])
    return { seeder, payer, WANT, reserved, laneSeen }
  }

  it('auto-lane: the payer reserves the lane the seeder asks for in one transaction, and the seeder\'s coverage shows it', async () => {
    const { seeder, payer, WANT, reserved, laneSeen } = await autoLane()
    const lanes = (await world.events()).filter(e => e.name === 'LaneReserved')
    const loss = await world.lossOf(seeder, payer.account)
    const { lane } = await world.fx.readOnly.laneOf(payer.account, seeder.account)
    report('auto-lane', {
      want: WANT, reserves: lanes.length, laneSeen, laneLeft: lane, ...loss, bound: value(CREDIT),
      fromFree: loss.paid - (WANT - lane), risks: seeder.settlements.filter(s => s.reason === 'risk').length
    })
    expect(reserved.map(r => r.lanes)).to.deep.equal([[{ payee: seeder.account, amount: WANT }]])
    expect(lanes.map(e => e.name === 'LaneReserved' ? [e.txId, toAddress(e.payer), toAddress(e.payee), e.amount] : [])).to.deep.equal([[reserved[0]!.txId, payer.account, seeder.account, WANT]])
    expect(laneSeen, 'the seeder\'s coverage showed the whole lane').to.equal(true)
    // served can exceed the file by blocks sent twice (requests a choke dropped, asked again): never paid twice
    expect(loss.served >= BigInt(FILE)).to.equal(true)
    expect(loss.paid).to.equal(value(FILE))
    expect(loss.loss >= 0n && loss.loss <= value(CREDIT)).to.equal(true)
  })

  // the payer requests nothing while its lane is being reserved, and the seeder reads its view once more before any
  // risk settlement: a lane reserved a poll ago costs no settlement, and all of the seeder's pay comes from it
  it('auto-lane: a payee that asked for a lane is paid from it from the first byte, without a risk settlement', async () => {
    const { seeder, payer, WANT } = await autoLane()
    const { lane, paidOut } = await world.fx.readOnly.laneOf(payer.account, seeder.account)
    expect(paidOut).to.equal(value(FILE))
    expect(lane).to.equal(WANT - paidOut)
    expect(seeder.settlements.filter(s => s.reason === 'risk')).to.deep.equal([])
  })
})
