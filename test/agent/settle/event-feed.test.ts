/**
 * The escrow event feed on anvil: it emits only confirmed blocks, re-reads an overlap every poll without
 * emitting anything twice, and picks up an event an indexer listed late.
 */
import { expect } from 'chai'
import { useChainFixture, fund, E18 } from '../chain/fixture.ts'
import type { EscrowClient, EscrowEvent, EventPage } from '../../../agent/chain/index.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { EscrowEventFeed, FeedConfigError, settleChannels } from '../../../agent/settle/index.ts'
import { logger, payeeBooks } from './helpers.ts'

type Reader = Pick<EscrowClient, 'eventsSince' | 'blockNumber'>

describe('EscrowEventFeed', function () {
  this.timeout(60_000)
  const fx = useChainFixture()
  const feeds: EscrowEventFeed[] = []
  afterEach(async () => { for (const f of feeds.splice(0)) await f.stop() })

  const feed = (init: ConstructorParameters<typeof EscrowEventFeed>[1], chain: Reader = fx.readOnly, clock?: () => number): { feed: EscrowEventFeed, seen: EscrowEvent[] } => {
    const f = new EscrowEventFeed({ logger, chain, ...(clock !== undefined ? { clock } : {}) }, { pollMs: 3_600_000, ...init })
    feeds.push(f)
    const seen: EscrowEvent[] = []
    f.on('events', e => seen.push(...e.events))
    return { feed: f, seen }
  }
  const mine = async (blocks: number): Promise<void> => { await fx.provider.send('anvil_mine', [`0x${blocks.toString(16)}`]) }
  const requests = (events: EscrowEvent[]): string[] => events.filter(e => e.name === 'WithdrawalRequested').map(e => e.txId)

  it('with confirmations=2 holds back the newest 2 blocks, emits their events once deep enough, and never twice', async () => {
    await fund(fx.clients[2]!, E18)
    const { feed: f, seen } = feed({ confirmations: 2, rescanBlocks: 2 })
    await f.start()
    const request = await fx.clients[2]!.requestWithdrawal(E18 / 2n)
    await f.poll()
    expect(requests(seen)).to.deep.equal([]) // its block is the head
    await mine(1)
    await f.poll()
    expect(requests(seen)).to.deep.equal([]) // one block deep
    expect(f.cursor).to.equal(request.blockNumber)
    await mine(1)
    await f.poll()
    expect(requests(seen)).to.deep.equal([request.txId]) // two deep: confirmed
    expect(f.cursor).to.equal(request.blockNumber + 1)
    // every later poll re-reads the two blocks before its cursor: the request's block is read again, not re-emitted
    for (let i = 0; i < 4; i++) {
      await f.poll()
      await mine(1)
    }
    await f.poll()
    expect(requests(seen)).to.deep.equal([request.txId])
    expect(f.cursor).to.equal(await fx.provider.getBlockNumber() - 1)
  })

  it('emits each record of a BatchSettled once: they share a log and differ only by batchIndex', async () => {
    const books = payeeBooks({ chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex }, ANVIL_KEYS[1])
    try {
      for (const i of [2, 3]) await fund(fx.clients[i]!, E18)
      const keys = [books.receive(ANVIL_KEYS[2], 10n), books.receive(ANVIL_KEYS[3], 20n)]
      const { feed: f, seen } = feed({ rescanBlocks: 3 })
      await f.start()
      const out = await settleChannels({ ledger: books.ledger, chain: fx.clients[1]! }, books.payee, keys)
      for (let i = 0; i < 3; i++) await f.poll()
      const records = seen.filter(e => e.name === 'Settled' && e.txId === out!.txId)
      expect(records.map(e => e.name === 'Settled' ? [e.logIndex, e.batchIndex, e.payer.toLowerCase()] : [])).to.deep.equal([
        [records[0]!.logIndex, 0, keys[0]!.payer], [records[0]!.logIndex, 1, keys[1]!.payer]
      ])
      expect(seen.filter(e => e.name === 'BatchSettled')).to.have.length(1)
    } finally {
      books.close()
    }
  })

  it('picks up an event the node indexed late, within the rescan window, and only once', async () => {
    // an indexer that lists a block's logs only from the second time it is asked (TronGrid's event API lags the node)
    const asked = new Map<number, number>()
    const lagging: Reader = {
      blockNumber: async o => await fx.readOnly.blockNumber(o),
      eventsSince: async (from, o): Promise<EventPage> => {
        const page = await fx.readOnly.eventsSince(from, o)
        const events = page.events.filter(e => {
          const n = (asked.get(e.blockNumber) ?? 0) + 1
          asked.set(e.blockNumber, n)
          return n > 1
        })
        return { events, toBlock: page.toBlock }
      }
    }
    let now = 1_000
    const { feed: f, seen } = feed({ rescanBlocks: 2 }, lagging, () => now)
    await f.start()
    expect(f.lastSyncedAt).to.equal(1_000)
    await fund(fx.clients[2]!, E18)
    const request = await fx.clients[2]!.requestWithdrawal(E18)
    now = 2_000
    await f.poll()
    expect(requests(seen)).to.deep.equal([]) // listed late: not on the first read of its block
    expect(f.lastSyncedAt).to.equal(2_000)
    await f.poll()
    expect(requests(seen)).to.deep.equal([request.txId])
    await f.poll()
    expect(requests(seen)).to.deep.equal([request.txId])
  })

  it('the same late event is lost with no rescan: what the overlap is for', async () => {
    const asked = new Set<number>()
    const lagging: Reader = {
      blockNumber: async o => await fx.readOnly.blockNumber(o),
      eventsSince: async (from, o) => {
        const page = await fx.readOnly.eventsSince(from, o)
        const events = page.events.filter(e => { const again = asked.has(e.blockNumber); asked.add(e.blockNumber); return again })
        return { events, toBlock: page.toBlock }
      }
    }
    const { feed: f, seen } = feed({ rescanBlocks: 0 }, lagging)
    await f.start()
    await fund(fx.clients[2]!, E18)
    await fx.clients[2]!.requestWithdrawal(E18)
    await f.poll()
    await f.poll()
    expect(requests(seen)).to.deep.equal([])
  })

  it('starts at the newest confirmed block unless told, and a listener that throws does not stop it', async () => {
    await mine(5)
    const head = await fx.provider.getBlockNumber()
    const { feed: f } = feed({ confirmations: 3 })
    let calls = 0
    f.on('events', () => { calls++; throw new Error('listener bug') })
    await f.start()
    expect(f.cursor).to.equal(head - 3 + 1)
    await mine(1)
    await f.poll()
    expect(calls).to.equal(2)
    expect(f.cursor).to.equal(head - 3 + 2)
  })

  it('refuses a negative confirmation depth or rescan', () => {
    expect(() => new EscrowEventFeed({ logger, chain: fx.readOnly }, { confirmations: -1 })).to.throw(FeedConfigError)
    expect(() => new EscrowEventFeed({ logger, chain: fx.readOnly }, { rescanBlocks: 1.5 })).to.throw(FeedConfigError)
    expect(() => new EscrowEventFeed({ logger, chain: fx.readOnly }, { pollMs: 0 })).to.throw(FeedConfigError)
  })
})
