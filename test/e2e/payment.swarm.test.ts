/**
 * The payment layer mounted on the real swarm engine (agent/swarm): a seeding TorrentEngine that charges and
 * a leeching one that pays per verified piece, over TCP on 127.0.0.1.
 */
import { expect } from 'chai'
import { join } from 'node:path'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { amountFor, MIB, NILE_CHAIN_ID, toAddress, type EscrowDomain } from '../../agent/pay/index.ts'
import { swarmInit, connectSwarm } from '../../agent/payment/index.ts'
import type { EngineInit, TorrentEngine } from '../../agent/swarm/index.ts'
import type { ChannelKey } from '../../agent/ledger/index.ts'
import { makeFixture, sameFiles, engine, waitFor, type Fixture } from '../agent/swarm/fixtures.ts'
import { makeAgent, type TestAgent } from './payment-agents.ts'
import { until } from './payment-peers.ts'

const DOMAIN: EscrowDomain = { chainId: NILE_CHAIN_ID, escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }
const PRICE = 1_000_000_000_000_000n

/** The most the payee was owed ahead of receipts after any block it served, and how often it choked the payer. */
function watchUnpaid (payee: TestAgent, seed: TorrentEngine): { maxUnpaid: bigint, chokes: number } {
  const w = { maxUnpaid: 0n, chokes: 0 }
  payee.agent.on('peer:unpaid', () => { w.chokes++ })
  seed.on('block:uploaded', ({ peerId }) => {
    const unpaid = payee.agent.session(peerId)?.asPayee?.unpaid ?? 0n
    if (unpaid > w.maxUnpaid) w.maxUnpaid = unpaid
  })
  return w
}

describe('payments on the swarm engine', function () {
  this.timeout(60_000)
  let fx: Fixture | undefined
  const engines: TorrentEngine[] = []
  const agents: TestAgent[] = []
  afterEach(async () => {
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    for (const a of agents.splice(0)) a.ledger.close()
    await fx?.cleanup()
  })

  /**
   * A seed charging PRICE with `credit`, started, and a leecher (not started) that speaks seedpay. With
   * `leecherPays: false` its verified bytes are never counted, so it never pays.
   */
  async function chargingPair (fixture: Fixture, credit: bigint, opts: {
    leecherPays: boolean
    payerInit?: Parameters<typeof makeAgent>[2]
    downloadPolicy?: EngineInit['downloadPolicy']
  }): Promise<{
    payee: TestAgent, payer: TestAgent, seed: TorrentEngine, leech: TorrentEngine, out: string, key: ChannelKey
  }> {
    const payee = makeAgent(DOMAIN, ANVIL_KEYS[1], { pricePerMiB: PRICE, credit })
    const payer = makeAgent(DOMAIN, ANVIL_KEYS[2], opts.payerInit)
    agents.push(payee, payer)
    const seed = engine(fixture.meta, fixture.seedDir, swarmInit(payee.agent))
    connectSwarm(payee.agent, seed)
    engines.push(seed)
    await seed.start()
    const out = join(fixture.root, opts.leecherPays ? 'leech' : 'freeloader')
    const leech = engine(fixture.meta, out, {
      peers: [seed.address],
      ...swarmInit(payer.agent),
      ...(opts.downloadPolicy !== undefined ? { downloadPolicy: opts.downloadPolicy } : {})
    })
    if (opts.leecherPays) connectSwarm(payer.agent, leech)
    engines.push(leech)
    const key = { chainId: DOMAIN.chainId, escrow: toAddress(DOMAIN.escrow), payer: payer.account, payee: payee.account }
    return { payee, payer, seed, leech, out, key }
  }

  it('a paying leecher downloads from a charging seed, which is never owed more than its credit and never chokes it', async () => {
    fx = await makeFixture({ data: 8 * 1024 * 1024 }, 64 * 1024)
    const CREDIT = MIB
    const { payee, payer, seed, leech, out, key } = await chargingPair(fx, CREDIT, { leecherPays: true })
    const refused: string[] = []
    payee.agent.on('receipt:refused', ({ code }) => refused.push(code))
    // the payer keeps what it owes within half the credit granted, so the seller never has to choke it
    const owed = watchUnpaid(payee, seed)
    const done = waitFor(leech, 'done')
    await leech.start()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
    const total = BigInt(fx.meta.length)
    // the payer signed and stored a receipt for every verified byte
    expect(payer.ledger.newest(key)?.bytes).to.equal(total)
    expect(payer.ledger.newest(key)?.amount).to.equal(amountFor(total, PRICE))
    // the engine closes seed-to-seed connections gracefully once the download completes, so the receipt for
    // the last piece still reaches the payee: it holds a receipt for every byte
    await until(() => (payee.ledger.newest(key)?.bytes ?? 0n) >= total)
    expect(payee.ledger.newest(key)?.amount).to.equal(amountFor(total, PRICE))
    expect(owed.maxUnpaid <= CREDIT).to.equal(true)
    expect(owed.chokes).to.equal(0)
    expect(refused).to.deep.equal([])
  })

  it('a payer still completes pieces larger than half the credit it was granted (no self-inflicted stall)', async () => {
    fx = await makeFixture({ data: 4 * 1024 * 1024 }, 1024 * 1024)
    const CREDIT = 3n * MIB / 2n // half of it, 768 KiB, is less than one 1 MiB piece
    const { payee, leech, out, key } = await chargingPair(fx, CREDIT, { leecherPays: true })
    const done = waitFor(leech, 'done')
    await leech.start()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
    await until(() => (payee.ledger.newest(key)?.bytes ?? 0n) >= BigInt(fx!.meta.length))
  })

  it('a swarm leecher that never pays gets at most the credit from a charging seed, and is choked', async () => {
    fx = await makeFixture({ data: 4 * 1024 * 1024 }, 64 * 1024)
    const CREDIT = MIB
    const { payee, seed, leech } = await chargingPair(fx, CREDIT, { leecherPays: false })
    let served = 0
    seed.on('block:uploaded', ({ length }) => { served += length })
    const unpaid: string[] = []
    payee.agent.on('peer:unpaid', ({ peerId }) => { if (peerId !== null) unpaid.push(peerId) })
    await leech.start()
    await until(() => unpaid.length === 1)
    await new Promise(resolve => setTimeout(resolve, 500))
    expect(served).to.be.at.most(Number(CREDIT))
    expect(served).to.be.greaterThan(Number(CREDIT) / 2)
    expect(leech.stats().done).to.equal(false)
  })

  it('a payer coalesces receipts and earns credit: few receipts, one commit for many, the credit grows to the cap, never a choke, every byte paid', async () => {
    // 64 KiB pieces: one receipt per piece would be 256 of them for 16 MiB
    fx = await makeFixture({ data: 16 * 1024 * 1024 }, 64 * 1024)
    const CAP = 8n * MIB
    const { payee, payer, seed, leech, out, key } = await chargingPair(fx, CAP, { leecherPays: true })
    const granted: bigint[] = []
    payer.agent.on('credit:granted', ({ credit }) => granted.push(credit))
    let signed = 0
    payer.agent.on('receipt:signed', () => { signed++ })
    const owed = watchUnpaid(payee, seed)
    const done = waitFor(leech, 'done')
    await leech.start()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
    const total = BigInt(fx.meta.length)
    // the last receipt is signed when the download completes, not on the pacer's timer, and reaches the payee
    expect(payer.ledger.newest(key)?.bytes).to.equal(total)
    await until(() => (payee.ledger.newest(key)?.bytes ?? 0n) >= total)
    const pieces = fx.meta.pieceHashes.length
    expect(signed, 'receipts coalesced').to.be.below(pieces / 2)
    expect(payer.ledger.history(key)).to.have.length(signed)
    // the credit started at 4 MiB (hello), grew as the payer paid, and stopped at the cap
    expect(granted.length).to.be.at.least(1)
    expect(granted.at(-1)).to.equal(CAP)
    for (let i = 1; i < granted.length; i++) expect(granted[i]! > granted[i - 1]!).to.equal(true)
    expect(owed.maxUnpaid <= CAP).to.equal(true)
    expect(owed.chokes).to.equal(0)
    // group commit: the two agents wrote every receipt, in no more transactions than receipts
    expect(payer.agent.writer.stats.receipts).to.equal(signed)
    expect(payer.agent.writer.stats.commits).to.be.at.most(signed)
  })

  it('a payer whose requests fill its whole credit is held, not choked, while its receipt is on its way (a slow disk), and pays every byte', async () => {
    fx = await makeFixture({ data: 8 * 1024 * 1024 }, 64 * 1024)
    const CREDIT = MIB
    const { payee, seed, leech, out, key } = await chargingPair(fx, CREDIT, {
      leecherPays: true,
      // the payer's disk takes 100 ms a transaction: its receipts reach the payee long after its credit is served
      payerInit: { store: ledger => ({ recordMany: async entries => { await new Promise(resolve => setTimeout(resolve, 100)); return await ledger.writerThread().recordMany(entries) } }) },
      // another client's window: it asks for twice the credit at once instead of our agent's half
      downloadPolicy: { maxOutstandingBytes: () => Number(2n * MIB) }
    })
    const owed = watchUnpaid(payee, seed)
    const done = waitFor(leech, 'done')
    await leech.start()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
    // it reached its whole credit, and no further: its requests past it waited for its receipts
    expect(owed.maxUnpaid).to.equal(CREDIT)
    expect(owed.chokes).to.equal(0)
    await until(() => (payee.ledger.newest(key)?.bytes ?? 0n) === BigInt(fx!.meta.length))
  })

  it('a payer downloading from a seedpay peer that charges nothing signs, stores and sends no receipts (nothing to settle), and is never choked for them', async () => {
    // a swarm of paying leechers: each speaks seedpay to the others, which charge nothing (only the seed does)
    fx = await makeFixture({ data: 4 * 1024 * 1024 }, 64 * 1024)
    const free = makeAgent(DOMAIN, ANVIL_KEYS[1], { pricePerMiB: 0n })
    const payer = makeAgent(DOMAIN, ANVIL_KEYS[2])
    agents.push(free, payer)
    const seed = engine(fx.meta, fx.seedDir, swarmInit(free.agent))
    connectSwarm(free.agent, seed)
    engines.push(seed)
    await seed.start()
    const out = join(fx.root, 'leech')
    const leech = engine(fx.meta, out, { peers: [seed.address], ...swarmInit(payer.agent) })
    connectSwarm(payer.agent, leech)
    engines.push(leech)
    let ready = 0
    payer.agent.on('peer:ready', () => { ready++ })
    let signed = 0
    payer.agent.on('receipt:signed', () => { signed++ })
    let unpaid = 0
    free.agent.on('peer:unpaid', () => { unpaid++ })
    const done = waitFor(leech, 'done')
    await leech.start()
    await done
    await leech.stop() // the payer flushes what it owes on stop: still nothing for a free peer
    expect(await sameFiles(fx, out)).to.equal(true)
    expect(ready, 'both spoke seedpay').to.equal(1)
    expect(signed).to.equal(0)
    const key = { chainId: DOMAIN.chainId, escrow: toAddress(DOMAIN.escrow), payer: payer.account, payee: free.account }
    expect(payer.ledger.newest(key)).to.equal(null)
    expect(free.ledger.newest(key)).to.equal(null)
    expect(payer.agent.writer.stats.receipts).to.equal(0)
    expect(unpaid).to.equal(0)
  })

  it('a payer that never pays never earns more than the starting credit', async () => {
    fx = await makeFixture({ data: 16 * 1024 * 1024 }, 64 * 1024)
    const { payee, leech, seed } = await chargingPair(fx, 32n * MIB, { leecherPays: false })
    const owed = watchUnpaid(payee, seed)
    const choked = new Promise<void>(resolve => { payee.agent.once('peer:unpaid', () => { resolve() }) })
    await leech.start()
    await choked
    await new Promise(resolve => setTimeout(resolve, 300))
    expect(owed.maxUnpaid <= 4n * MIB).to.equal(true)
    expect(owed.maxUnpaid > 3n * MIB).to.equal(true)
  })
})
