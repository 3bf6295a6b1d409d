import { expect } from 'chai'
import http from 'node:http'
import fc from 'fast-check'
import bencode from 'bencode'
import {
  httpAnnounce, httpScrape, parseAnnounceResponse, scrapeUrlFor, buildAnnounceUrl,
  MalformedResponseError, TrackerError, TrackerFailureError, TrackerTransportError
} from '../../../agent/swarm/tracker/index.ts'
import { encodeCompactIPv4 } from '../../../agent/swarm/tracker/peers.ts'
import { startJsTracker, type JsTracker } from '../../../devtools/clients/trackers.ts'
import { randomRequest } from './util.ts'

const URL_ = 'http://tracker.test/announce'

describe('HTTP tracker: response parsing', () => {
  it('parses compact peers (BEP 23), counts, min interval and warning', () => {
    const body = bencode.encode({
      interval: 1800, 'min interval': 900, complete: 3, incomplete: 4, 'warning message': 'slow down',
      peers: encodeCompactIPv4([{ host: '127.0.0.2', port: 6881 }, { host: '10.1.2.3', port: 51413 }])
    })
    const res = parseAnnounceResponse(URL_, body)
    expect(res).to.deep.include({ interval: 1800, minInterval: 900, complete: 3, incomplete: 4, warning: 'slow down' })
    expect(res.peers).to.deep.equal([{ host: '127.0.0.2', port: 6881 }, { host: '10.1.2.3', port: 51413 }])
  })

  it('parses compact IPv6 peers (BEP 7 peers6)', () => {
    const six = Buffer.alloc(18)
    six.writeUInt16BE(0xfe80, 0); six.writeUInt16BE(1, 14); six.writeUInt16BE(6881, 16)
    const res = parseAnnounceResponse(URL_, bencode.encode({ interval: 60, peers: new Uint8Array(0), peers6: six }))
    expect(res.peers).to.deep.equal([{ host: 'fe80:0:0:0:0:0:0:1', port: 6881 }])
    expect(() => parseAnnounceResponse(URL_, bencode.encode({ interval: 60, peers6: Buffer.alloc(17) }))).to.throw(MalformedResponseError)
  })

  it('parses the original dictionary peer list (BEP 3)', () => {
    const body = bencode.encode({ interval: 60, peers: [{ ip: '127.0.0.3', port: 7000, 'peer id': 'x'.repeat(20) }] })
    expect(parseAnnounceResponse(URL_, body).peers).to.deep.equal([{ host: '127.0.0.3', port: 7000 }])
  })

  it('surfaces "failure reason" as TrackerFailureError with the reason', () => {
    const body = bencode.encode({ 'failure reason': 'torrent not registered' })
    expect(() => parseAnnounceResponse(URL_, body)).to.throw(TrackerFailureError, 'torrent not registered')
  })

  const malformed: Array<[string, Uint8Array]> = [
    ['not bencode', new TextEncoder().encode('<html>502 Bad Gateway</html>')],
    ['a list at top level', bencode.encode([1, 2])],
    ['missing interval', bencode.encode({ peers: new Uint8Array(0) })],
    ['negative interval', bencode.encode({ interval: -5, peers: new Uint8Array(0) })],
    ['compact peers of 7 bytes', bencode.encode({ interval: 5, peers: new Uint8Array(7) })],
    ['peers as an integer', bencode.encode({ interval: 5, peers: 3 })],
    ['a dict peer without port', bencode.encode({ interval: 5, peers: [{ ip: '1.2.3.4' }] })],
    ['a dict peer with port 70000', bencode.encode({ interval: 5, peers: [{ ip: '1.2.3.4', port: 70000 }] })]
  ]
  for (const [what, body] of malformed) {
    it(`rejects ${what} with MalformedResponseError`, () => {
      expect(() => parseAnnounceResponse(URL_, body)).to.throw(MalformedResponseError)
    })
  }

  it('never throws anything but a TrackerError on arbitrary or mutated responses (fuzz, fixed seed)', () => {
    const good = bencode.encode({ interval: 60, complete: 1, peers: encodeCompactIPv4([{ host: '127.0.0.2', port: 1 }]) })
    const mutated = fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(good.length)).map(([i, b, cut]) => {
      const copy = Uint8Array.from(good)
      copy[i] = b
      return copy.subarray(0, cut)
    })
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated), body => {
      try { parseAnnounceResponse(URL_, body) } catch (err) { expect(err).to.be.instanceOf(TrackerError) }
    }), { seed: 0x5eed, numRuns: 3000 })
  })

  it('builds BEP 48 scrape URLs and percent-encodes binary parameters', () => {
    expect(scrapeUrlFor('http://t.test/x/announce.php?k=1')).to.equal('http://t.test/x/scrape.php?k=1')
    expect(scrapeUrlFor('http://t.test/a')).to.equal(null)
    const url = buildAnnounceUrl('http://t.test/announce?k=1', randomRequest({ infoHash: new Uint8Array(20).fill(0xff), event: 'started' }))
    expect(url).to.match(/^http:\/\/t\.test\/announce\?k=1&info_hash=(%FF){20}&/)
    expect(url).to.include('event=started')
  })
})

describe('HTTP tracker: against bittorrent-tracker server', () => {
  let tracker: JsTracker
  before(async () => { tracker = await startJsTracker({ intervalMs: 30_000 }) })
  after(async () => { await tracker.close() })

  it('announces, learns the other peer with its own source address, and scrapes', async () => {
    const a = randomRequest({ port: 7001, left: 0, event: 'started' })
    const b = randomRequest({ infoHash: a.infoHash, port: 7002, event: 'started' })
    const ra = await httpAnnounce(tracker.httpUrl, a, { localAddress: '127.0.0.2' })
    expect(ra.interval).to.equal(30)
    const rb = await httpAnnounce(tracker.httpUrl, b, { localAddress: '127.0.0.3' })
    expect(rb.peers).to.deep.include({ host: '127.0.0.2', port: 7001 })
    expect(rb.complete).to.equal(1)
    expect(rb.incomplete).to.equal(1)
    const scrape = await httpScrape(tracker.httpUrl, [a.infoHash])
    expect(scrape.get(Buffer.from(a.infoHash).toString('hex'))).to.deep.include({ complete: 1, incomplete: 1 })
  })

  it('reports events to the tracker: completed then stopped', async () => {
    const events: string[] = []
    const onComplete = (): void => { events.push('complete') }
    const onStop = (): void => { events.push('stop') }
    tracker.server.on('complete', onComplete)
    tracker.server.on('stop', onStop)
    const req = randomRequest({ event: 'started' })
    await httpAnnounce(tracker.httpUrl, req)
    await httpAnnounce(tracker.httpUrl, { ...req, event: 'completed', left: 0 })
    await httpAnnounce(tracker.httpUrl, { ...req, event: 'stopped', left: 0 })
    expect(events).to.deep.equal(['complete', 'stop'])
    tracker.server.off('complete', onComplete)
    tracker.server.off('stop', onStop)
  })

  it('follows a tracker\'s redirect, but not a redirect loop', async () => {
    const srv = http.createServer((req, res) => {
      if (req.url?.startsWith('/loop') === true) { res.writeHead(302, { location: '/loop' }); res.end(); return }
      res.writeHead(301, { location: tracker.httpUrl + req.url?.slice(req.url.indexOf('?')) }); res.end()
    })
    await new Promise<void>(resolve => { srv.listen(0, '127.0.0.1', resolve) })
    const addr = srv.address()
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0
    try {
      const res = await httpAnnounce(`http://127.0.0.1:${port}/announce`, randomRequest({ event: 'started' }))
      expect(res.interval).to.equal(30)
      await httpAnnounce(`http://127.0.0.1:${port}/loop`, randomRequest()).then(() => { throw new Error('resolved') }, err => {
        expect(err).to.be.instanceOf(TrackerTransportError)
        expect((err as Error).message).to.match(/redirects/)
      })
    } finally { srv.close() }
  })

  it('fails with TrackerTransportError on a non-200 status and a refused connection', async () => {
    const srv = http.createServer((_req, res) => { res.writeHead(404); res.end('nope') })
    await new Promise<void>(resolve => { srv.listen(0, '127.0.0.1', resolve) })
    const addr = srv.address()
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0
    try {
      await httpAnnounce(`http://127.0.0.1:${port}/announce`, randomRequest()).then(() => { throw new Error('resolved') }, err => {
        expect(err).to.be.instanceOf(TrackerTransportError)
      })
    } finally { srv.close() }
    await httpAnnounce(`http://127.0.0.1:${port}/announce`, randomRequest()).then(() => { throw new Error('resolved') }, err => {
      expect(err).to.be.instanceOf(TrackerTransportError)
    })
  })
})
