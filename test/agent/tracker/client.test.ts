import { expect } from 'chai'
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import bencode from 'bencode'
import { TrackerClient, MalformedResponseError, UnsupportedTrackerError, type TrackerClientInit, type TrackerErrorEvent, type TrackerPeersEvent } from '../../../agent/swarm/tracker/index.ts'
import { encodeCompactIPv4 } from '../../../agent/swarm/tracker/peers.ts'
import { startJsTracker, type JsTracker } from '../../../devtools/clients/trackers.ts'
import { silentLogger } from './util.ts'

/** An HTTP tracker whose answer is scripted per request; records when each request arrived. */
async function scriptedTracker (answer: (n: number, url: URL) => Uint8Array): Promise<{ url: string, hits: Array<{ at: number, url: URL }>, close: () => void }> {
  const hits: Array<{ at: number, url: URL }> = []
  const srv = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    hits.push({ at: Date.now(), url })
    res.end(Buffer.from(answer(hits.length, url)))
  })
  await new Promise<void>(resolve => { srv.listen(0, '127.0.0.1', resolve) })
  const a = srv.address()
  const port = typeof a === 'object' && a !== null ? a.port : 0
  return { url: `http://127.0.0.1:${port}/announce`, hits, close: () => { srv.closeAllConnections(); srv.close() } }
}

function makeClient (init: Partial<TrackerClientInit> & Pick<TrackerClientInit, 'announce'>): TrackerClient {
  return new TrackerClient({ logger: silentLogger }, {
    infoHash: randomBytes(20),
    peerId: randomBytes(20),
    port: 6881,
    getStats: () => ({ uploaded: 0, downloaded: 0, left: 100 }),
    ...init
  })
}

describe('TrackerClient', () => {
  let tracker: JsTracker
  const clients: TrackerClient[] = []
  before(async () => { tracker = await startJsTracker({ intervalMs: 1000 }) })
  afterEach(async () => { await Promise.all(clients.splice(0).map(async c => { await c.stop() })) })
  after(async () => { await tracker.close() })

  for (const proto of ['http', 'udp'] as const) {
    it(`sends started, re-announces on the interval, sends completed and stopped (${proto})`, async () => {
      const infoHash = randomBytes(20)
      const events: string[] = []
      const onEvent = (name: string) => (_addr: string, p: { info_hash: string }) => { if (p.info_hash === infoHash.toString('hex')) events.push(name) }
      const handlers = { start: onEvent('start'), update: onEvent('update'), complete: onEvent('complete'), stop: onEvent('stop') }
      for (const [k, h] of Object.entries(handlers)) tracker.server.on(k as 'start', h)
      try {
        const url = proto === 'http' ? tracker.httpUrl : tracker.udpUrl
        const seeder = makeClient({ announce: [url], infoHash, port: 7201, localAddress: '127.0.0.2', getStats: () => ({ uploaded: 0, downloaded: 0, left: 0 }) })
        const leecher = makeClient({ announce: [url], infoHash, port: 7202, localAddress: '127.0.0.3' })
        clients.push(seeder, leecher)
        await seeder.start()
        await once(seeder, 'tracker:response')
        const peers = once(leecher, 'tracker:peers') as Promise<[TrackerPeersEvent]>
        await leecher.start()
        const [ev] = await peers
        expect(ev.peers).to.deep.include({ host: '127.0.0.2', port: 7201 })
        await new Promise(resolve => setTimeout(resolve, 2600))
        expect(events.filter(e => e === 'update').length, events.join(',')).to.be.at.least(2)
        leecher.completed()
        await once(leecher, 'tracker:response')
        await seeder.stop()
        await leecher.stop()
        expect(events.filter(e => e === 'start')).to.have.length(2)
        expect(events.filter(e => e === 'complete')).to.have.length(1)
        expect(events.filter(e => e === 'stop')).to.have.length(2)
      } finally {
        for (const [k, h] of Object.entries(handlers)) tracker.server.off(k, h)
      }
    })
  }

  it('sends one started (and no completed) when it is already complete at start', async () => {
    const t = await scriptedTracker(() => bencode.encode({ interval: 600, peers: new Uint8Array(0) }))
    try {
      const c = makeClient({ announce: [t.url], getStats: () => ({ uploaded: 0, downloaded: 0, left: 0 }) })
      clients.push(c)
      await c.start()
      c.completed() // what the engine does when its data was already complete
      await once(c, 'tracker:response')
      await new Promise(resolve => setTimeout(resolve, 200))
      expect(t.hits.map(h => h.url.searchParams.get('event'))).to.deep.equal(['started'])
      expect(t.hits[0]?.url.searchParams.get('left')).to.equal('0')
    } finally { t.close() }
  })

  it('sends completed after a pending started that still had bytes left', async () => {
    let left = 100
    const t = await scriptedTracker(() => bencode.encode({ interval: 600, peers: new Uint8Array(0) }))
    try {
      const c = makeClient({ announce: [t.url], getStats: () => ({ uploaded: 0, downloaded: 100 - left, left }) })
      clients.push(c)
      await c.start() // the started request is built now, with left = 100
      left = 0
      c.completed()
      await once(c, 'tracker:response')
      await once(c, 'tracker:response')
      expect(t.hits.map(h => h.url.searchParams.get('event'))).to.deep.equal(['started', 'completed'])
    } finally { t.close() }
  })

  it('scrapes every tracker it knows, HTTP and UDP', async () => {
    const infoHash = randomBytes(20)
    const seeder = makeClient({ announce: [tracker.httpUrl], infoHash, port: 7211, localAddress: '127.0.0.2', getStats: () => ({ uploaded: 0, downloaded: 0, left: 0 }) })
    clients.push(seeder)
    await seeder.start()
    await once(seeder, 'tracker:response')
    const other = makeClient({ announce: [tracker.httpUrl, tracker.udpUrl], infoHash })
    const res = await other.scrape()
    expect(res.get(tracker.httpUrl)).to.deep.include({ complete: 1, incomplete: 0 })
    expect(res.get(tracker.udpUrl)).to.deep.include({ complete: 1, incomplete: 0 })
  })

  it('honours "min interval" when it is longer than "interval"', async () => {
    const t = await scriptedTracker(() => bencode.encode({ interval: 1, 'min interval': 2, peers: new Uint8Array(0) }))
    try {
      const c = makeClient({ announce: [t.url], minAnnounceDelayMs: 0 })
      clients.push(c)
      await c.start()
      await new Promise(resolve => setTimeout(resolve, 4500))
      await c.stop()
      const regular = t.hits.filter(h => h.url.searchParams.get('event') !== 'stopped')
      expect(regular.length).to.be.within(2, 3)
      for (let i = 1; i < regular.length; i++) {
        expect((regular[i]?.at ?? 0) - (regular[i - 1]?.at ?? 0)).to.be.at.least(1900)
      }
      expect(t.hits[0]?.url.searchParams.get('event')).to.equal('started')
      expect(t.hits.at(-1)?.url.searchParams.get('event')).to.equal('stopped')
    } finally { t.close() }
  })

  it('reports a malformed response as tracker:error, retries with started, then reports peers', async () => {
    const t = await scriptedTracker(n => n === 1
      ? new TextEncoder().encode('d8:intervali5e5:peers7:1234567e')
      : bencode.encode({ interval: 600, peers: encodeCompactIPv4([{ host: '127.0.0.7', port: 7777 }]) }))
    try {
      const c = makeClient({ announce: [t.url], retryDelayMs: 50, minAnnounceDelayMs: 0 })
      clients.push(c)
      const err = once(c, 'tracker:error') as Promise<[TrackerErrorEvent]>
      const peers = once(c, 'tracker:peers') as Promise<[TrackerPeersEvent]>
      await c.start()
      expect((await err)[0].error).to.be.instanceOf(MalformedResponseError)
      expect((await peers)[0].peers).to.deep.equal([{ host: '127.0.0.7', port: 7777 }])
      expect(t.hits.map(h => h.url.searchParams.get('event'))).to.deep.equal(['started', 'started'])
    } finally { t.close() }
  })

  it('reports an unsupported URL and keeps using the other trackers', async () => {
    const c = makeClient({ announce: ['wss://tracker.example/announce', tracker.httpUrl] })
    clients.push(c)
    const err = once(c, 'tracker:error') as Promise<[TrackerErrorEvent]>
    const res = once(c, 'tracker:response')
    await c.start()
    expect((await err)[0].error).to.be.instanceOf(UnsupportedTrackerError)
    await res
  })

  it('stops announcing when the start signal aborts', async () => {
    const t = await scriptedTracker(() => bencode.encode({ interval: 1, peers: new Uint8Array(0) }))
    try {
      const ac = new AbortController()
      const c = makeClient({ announce: [t.url] })
      clients.push(c)
      await c.start({ signal: ac.signal })
      await once(c, 'tracker:response')
      ac.abort()
      await new Promise(resolve => setTimeout(resolve, 200))
      const n = t.hits.length
      expect(t.hits.at(-1)?.url.searchParams.get('event')).to.equal('stopped')
      await new Promise(resolve => setTimeout(resolve, 1500))
      expect(t.hits.length).to.equal(n)
      expect(c.isRunning).to.equal(false)
    } finally { t.close() }
  })
})
