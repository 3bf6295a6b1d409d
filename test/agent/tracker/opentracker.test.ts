import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { httpAnnounce, httpScrape, UdpTracker, TrackerClient, TrackerFailureError, type TrackerErrorEvent, type TrackerPeersEvent } from '../../../agent/swarm/tracker/index.ts'
import { startOpentracker, type OpenTracker } from '../../../devtools/clients/trackers.ts'
import { randomRequest, silentLogger } from './util.ts'

describe('tracker client against Debian opentracker', function () {
  this.timeout(30_000)
  const infoHash = randomBytes(20)
  let ot: OpenTracker
  before(async () => { ot = await startOpentracker([infoHash.toString('hex')]) })
  after(async () => { await ot?.close() })

  it('HTTP: announces two peers that see each other; scrape counts them', async () => {
    await httpAnnounce(ot.httpUrl, randomRequest({ infoHash, port: 7301, left: 0, event: 'started' }), { localAddress: '127.0.0.2' })
    const res = await httpAnnounce(ot.httpUrl, randomRequest({ infoHash, port: 7302, event: 'started' }), { localAddress: '127.0.0.3' })
    expect(res.interval).to.be.above(0)
    expect(res.minInterval).to.be.above(0)
    expect(res.peers).to.deep.include({ host: '127.0.0.2', port: 7301 })
    const s = await httpScrape(ot.httpUrl, [infoHash])
    expect(s.get(infoHash.toString('hex'))).to.deep.include({ complete: 1, incomplete: 1 })
  })

  it('UDP: announces and scrapes the same swarm', async () => {
    const t = new UdpTracker(ot.udpUrl, { localAddress: '127.0.0.4', timeoutMs: 1000 })
    try {
      const res = await t.announce(randomRequest({ infoHash, port: 7303, event: 'started' }))
      expect(res.peers).to.deep.include({ host: '127.0.0.2', port: 7301 })
      const s = await t.scrape([infoHash])
      expect(s.get(infoHash.toString('hex'))?.incomplete).to.equal(2)
    } finally { t.close() }
  })

  it('surfaces opentracker\'s refusal of an unlisted torrent as TrackerFailureError', async () => {
    await httpAnnounce(ot.httpUrl, randomRequest({ event: 'started' })).then(() => { throw new Error('resolved') }, err => {
      expect(err).to.be.instanceOf(TrackerFailureError)
      expect((err as TrackerFailureError).reason).to.match(/not authorized/)
    })
  })

  it('TrackerClient over HTTP and UDP: peers from both, stopped removes us from the swarm', async () => {
    const c = new TrackerClient({ logger: silentLogger }, {
      announce: [ot.httpUrl, ot.udpUrl], infoHash, peerId: randomBytes(20), port: 7304, localAddress: '127.0.0.5',
      getStats: () => ({ uploaded: 0, downloaded: 0, left: 0 })
    })
    const seen = new Set<string>()
    c.on('tracker:peers', (e: TrackerPeersEvent) => { seen.add(e.url) })
    try {
      await c.start()
      while (seen.size < 2) await once(c, 'tracker:peers')
      expect(seen).to.deep.equal(new Set([ot.httpUrl, ot.udpUrl]))
    } finally { await c.stop() }
    const s = await httpScrape(ot.httpUrl, [infoHash])
    expect(s.get(infoHash.toString('hex'))?.complete).to.equal(1) // only 127.0.0.2:7301 still seeds
  })

  it('TrackerClient reports the failure reason as tracker:error', async () => {
    const c = new TrackerClient({ logger: silentLogger }, {
      announce: [ot.httpUrl], infoHash: randomBytes(20), peerId: randomBytes(20), port: 7305, getStats: () => ({ uploaded: 0, downloaded: 0, left: 1 })
    })
    try {
      const err = once(c, 'tracker:error') as Promise<[TrackerErrorEvent]>
      await c.start()
      expect((await err)[0].error).to.be.instanceOf(TrackerFailureError)
    } finally { await c.stop() }
  })
})
