/**
 * The attack matrix, part 1 (docs/risk.md): what a charging seeder serves a payer that has little or nothing in
 * the escrow, when that payer would sign anything it is sent. Real anvil with the tronbox-built escrow, seeders
 * built by createPayments on TorrentEngines over TCP, SQLite ledgers. Loss = value of the bytes served at the
 * seeder's price − the pair's paidOut after the seeder's final settlement.
 */
import { expect } from 'chai'
import { KIB, report, settles, sleep, until, useRiskWorld, value, type RiskPayer, type RiskSeeder } from './risk-helpers.ts'

describe('risk: every byte a payee serves is backed (funding)', function () {
  this.timeout(60_000)
  const world = useRiskWorld()
  const PIECE = 64n * KIB
  const CREDIT = 256n * KIB

  it('an unfunded payer that would sign anything is served no charged byte: loss 0', async () => {
    const file = await world.file(2 << 20, Number(PIECE))
    const seeder = await world.seeder(file, { key: 1, credit: CREDIT })
    const payer = await world.dishonestPayer(file, 2, [seeder])
    let ready = false
    seeder.payments.agent.on('peer:ready', () => { ready = true })
    await payer.engine.start()
    // the seeder read the payer's backing (nothing) and refused its first block
    await until(() => ready && seeder.uncovered.some(u => u.payer === payer.account && u.decision === 'wait'), 'the seeder to refuse the unfunded payer')
    await sleep(1_000)
    expect(seeder.servedTo(payer.account)).to.equal(0n)
    expect(seeder.unattributed()).to.equal(0n)
    expect(payer.signedTo(seeder.account)).to.equal(0n)
    await payer.stop()
    const summary = await seeder.stop()
    expect(summary?.txIds ?? []).to.deep.equal([])
    const loss = await world.lossOf(seeder, payer.account)
    report('unfunded', { ...loss, bound: 0n })
    expect(loss).to.deep.equal({ served: 0n, owed: 0n, paid: 0n, loss: 0n })
  })

  /** 100 pieces of 64 KiB and a payer (signing anything) whose deposit pays for exactly one of them. */
  async function onePercent (exposureLimit?: bigint, receiptDelayMs = 0): Promise<{ seeder: RiskSeeder, payer: RiskPayer, DEPOSIT: bigint, fileValue: bigint }> {
    const file = await world.file(100 * Number(PIECE), Number(PIECE))
    const DEPOSIT = value(PIECE)
    await world.fund(2, DEPOSIT)
    const seeder = await world.seeder(file, { key: 1, credit: CREDIT, ...(exposureLimit !== undefined ? { exposureLimit } : {}) })
    const payer = await world.dishonestPayer(file, 2, [seeder], { receiptDelayMs })
    await payer.engine.start()
    return { seeder, payer, DEPOSIT, fileValue: value(BigInt(file.meta.length)) }
  }

  it('a payer funded for 1 % of the file gets what its deposit pays for, and the seeder cashes all of it', async () => {
    const { seeder, payer, DEPOSIT, fileValue } = await onePercent()
    await until(() => seeder.heldFrom(payer.account) === DEPOSIT, 'the receipt for what the deposit pays for')
    await until(() => seeder.uncovered.some(u => u.payer === payer.account), 'the seeder to refuse more than the deposit pays for')
    const served = seeder.servedTo(payer.account)
    await sleep(1_500)
    // nothing more is backed: the payer gets nothing further however long it asks
    expect(seeder.servedTo(payer.account)).to.equal(served)
    await settles(() => seeder.heldFrom(payer.account) === payer.signedTo(seeder.account), 2_000)
    await payer.stop()
    await seeder.stop()
    const loss = await world.lossOf(seeder, payer.account)
    report('1% funded', { ...loss, deposit: DEPOSIT, bound: value(CREDIT), fileValue })
    expect(loss.served >= PIECE).to.equal(true)
    expect(loss.paid).to.equal(DEPOSIT)
    expect(loss.loss >= 0n && loss.loss <= value(CREDIT)).to.equal(true)
    expect(seeder.unattributed()).to.equal(0n)
    expect(await world.fx.readOnly.balanceOf(payer.account)).to.equal(0n)
    // no receipt bounced: the seeder never asked the escrow for more than the deposit
    expect((await world.events()).filter(e => e.name === 'Bounced')).to.deep.equal([])
  })

  /** The risk settlement of a 1 %-funded payer, timed from the seeder getting the receipt that uses up the deposit. */
  async function settledForRisk (scenario: string, receiptDelayMs: number): Promise<void> {
    // a risk settlement is sent only for ≥ exposureLimit / 4 on the free balance (no crumbs): 4 deposits
    const { seeder, payer, DEPOSIT } = await onePercent(4n * value(PIECE), receiptDelayMs)
    await until(() => seeder.heldFrom(payer.account) === DEPOSIT, 'the receipt that uses up the deposit')
    const receivedAt = Date.now()
    await until(() => seeder.settlements.some(s => s.reason === 'risk'), 'a risk-triggered settlement', 12_000)
    const riskMs = Date.now() - receivedAt
    report(scenario, { riskMs })
    expect(riskMs, 'ms from the receipt to the risk settlement').to.be.below(3_000)
    expect(seeder.settlements[0]!.paid.get(payer.account)).to.equal(DEPOSIT)
    expect(await world.fx.readOnly.balanceOf(payer.account)).to.equal(0n)
    await payer.stop()
    await seeder.stop()
    const loss = await world.lossOf(seeder, payer.account)
    expect(loss.paid).to.equal(DEPOSIT)
    expect(loss.loss >= 0n && loss.loss <= value(CREDIT)).to.equal(true)
  }

  it('a payer funded for 1 % of the file is settled for risk as soon as its receipt uses up the deposit', async () => {
    await settledForRisk('1% funded, risk', 0)
  })

  // a receipt that arrives after coverage refused the payer asks again at once (it used to wait for the engine's
  // next 10 s rechoke: a receipt rechoked only when it lifted the credit choke)
  it('… also when that receipt comes a second after the seeder refused the payer more', async () => {
    await settledForRisk('1% funded, late receipt, risk', 1_000)
  })

  // a payer paying from its free balance alone is settled each time its receipts reach the exposure limit; a
  // decision taken while the seeder re-read its view was once never revisited, and the payer stalled
  it('a payer paying from its free balance alone is settled for risk each time it reaches the exposure, and finishes', async () => {
    const FILE = 8n * 1024n * KIB
    const EXPOSURE = value(1024n * KIB)
    const file = await world.file(Number(FILE), Number(PIECE))
    await world.fund(2, 2n * value(FILE))
    const seeder = await world.seeder(file, { key: 1, credit: CREDIT, exposureLimit: EXPOSURE })
    const payer = await world.dishonestPayer(file, 2, [seeder])
    await payer.engine.start()
    await until(() => payer.engine.stats().done, 'the download to finish (it stalls when the payer is never asked again)', 20_000)
    await settles(() => seeder.heldFrom(payer.account) === payer.signedTo(seeder.account), 2_000)
    await payer.stop()
    await seeder.stop()
    const loss = await world.lossOf(seeder, payer.account)
    const risks = seeder.settlements.filter(s => s.reason === 'risk').length
    report('free balance only', { ...loss, risks, bound: value(CREDIT) })
    expect(risks >= 6).to.equal(true)
    // blocks a choke dropped are asked again: served can exceed the file, and is never paid twice
    expect(loss.served >= FILE).to.equal(true)
    expect(loss.loss >= 0n && loss.loss <= value(CREDIT)).to.equal(true)
  })
})
