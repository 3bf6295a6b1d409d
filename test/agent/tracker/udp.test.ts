import { expect } from 'chai'
import dgram from 'node:dgram'
import fc from 'fast-check'
import { UdpTracker, TrackerError, MalformedResponseError, TrackerFailureError, TrackerTimeoutError } from '../../../agent/swarm/tracker/index.ts'
import { startJsTracker, type JsTracker } from '../../../devtools/clients/trackers.ts'
import { randomRequest } from './util.ts'

/** A scripted UDP tracker: `reply` decides, per received packet, what (if anything) to send back. */
async function fakeUdpTracker (reply: (msg: Buffer, n: number) => Buffer | null): Promise<{ url: string, received: Buffer[], close: () => void }> {
  const sock = dgram.createSocket('udp4')
  const received: Buffer[] = []
  sock.on('message', (msg, rinfo) => {
    received.push(msg)
    const out = reply(msg, received.length)
    if (out !== null) sock.send(out, rinfo.port, rinfo.address)
  })
  await new Promise<void>(resolve => { sock.bind(0, '127.0.0.1', resolve) })
  return { url: `udp://127.0.0.1:${sock.address().port}`, received, close: () => { sock.close() } }
}

function connectReply (msg: Buffer): Buffer {
  const b = Buffer.alloc(16)
  b.writeUInt32BE(0, 0)
  b.writeUInt32BE(msg.readUInt32BE(12), 4)
  b.writeBigUInt64BE(0x1122334455667788n, 8)
  return b
}

describe('UDP tracker (BEP 15)', () => {
  let tracker: JsTracker
  before(async () => { tracker = await startJsTracker({ intervalMs: 20_000 }) })
  after(async () => { await tracker.close() })

  it('connects, announces two peers that see each other, and scrapes (bittorrent-tracker server)', async () => {
    const a = new UdpTracker(tracker.udpUrl, { localAddress: '127.0.0.2' })
    const b = new UdpTracker(tracker.udpUrl, { localAddress: '127.0.0.3' })
    try {
      const ra = randomRequest({ port: 7101, left: 0, event: 'started' })
      await a.announce(ra)
      const rb = await b.announce(randomRequest({ infoHash: ra.infoHash, port: 7102, event: 'started' }))
      expect(rb.interval).to.equal(20)
      expect(rb.peers).to.deep.include({ host: '127.0.0.2', port: 7101 })
      expect(rb.complete).to.equal(1)
      const s = await b.scrape([ra.infoHash])
      expect(s.get(Buffer.from(ra.infoHash).toString('hex'))).to.deep.include({ complete: 1, incomplete: 1 })
    } finally { a.close(); b.close() }
  })

  it('reuses a connection id for a minute, then connects again', async () => {
    let now = 1_000_000
    const t = new UdpTracker(tracker.udpUrl, { now: () => now })
    try {
      const req = randomRequest({ event: 'started' })
      await t.announce(req)
      await t.announce({ ...req, event: undefined })
      expect(t.connects).to.equal(1)
      now += 60_000
      await t.announce({ ...req, event: undefined })
      expect(t.connects).to.equal(2)
    } finally { t.close() }
  })

  it('retransmits with doubling timeouts until the tracker answers', async () => {
    const fake = await fakeUdpTracker((msg, n) => {
      if (n <= 2) return null // drop the first two connect attempts
      if (msg.readUInt32BE(8) === 0) return connectReply(msg)
      const b = Buffer.alloc(26)
      b.writeUInt32BE(1, 0); b.writeUInt32BE(msg.readUInt32BE(12), 4); b.writeUInt32BE(77, 8)
      b.writeUInt32BE(0, 12); b.writeUInt32BE(1, 16); b.set([127, 0, 0, 9, 0x1a, 0xe1], 20)
      return b
    })
    const t = new UdpTracker(fake.url, { timeoutMs: 50 })
    try {
      const started = Date.now()
      const res = await t.announce(randomRequest())
      expect(res.interval).to.equal(77)
      expect(res.peers).to.deep.equal([{ host: '127.0.0.9', port: 6881 }])
      expect(fake.received.length).to.equal(4)
      expect(Date.now() - started).to.be.at.least(50 + 100)
    } finally { t.close(); fake.close() }
  })

  it('gives up with TrackerTimeoutError after maxRetries, and stops at once when the signal aborts', async () => {
    const fake = await fakeUdpTracker(() => null)
    const t = new UdpTracker(fake.url, { timeoutMs: 20, maxRetries: 2 })
    try {
      await t.announce(randomRequest()).then(() => { throw new Error('resolved') }, err => { expect(err).to.be.instanceOf(TrackerTimeoutError) })
      expect(fake.received.length).to.equal(3)
      const slow = new UdpTracker(fake.url, { timeoutMs: 60_000 })
      const started = Date.now()
      await slow.announce(randomRequest(), { signal: AbortSignal.timeout(100) }).then(() => { throw new Error('resolved') }, err => {
        expect((err as Error).name).to.equal('TimeoutError')
      })
      expect(Date.now() - started).to.be.below(2000)
      slow.close()
    } finally { t.close(); fake.close() }
  })

  it('answers arbitrary replies (right transaction id, random body) with a result or a TrackerError (fuzz, fixed seed)', async () => {
    let body = Buffer.alloc(0)
    const fake = await fakeUdpTracker(msg => {
      if (msg.readUInt32BE(8) === 0) return connectReply(msg)
      const b = Buffer.concat([Buffer.alloc(8), body])
      b.writeUInt32BE(msg.readUInt32BE(12), 4)
      if (body.length >= 4) b.writeUInt32BE(body.readUInt32BE(0) % 4, 0) // mostly real action codes
      return b
    })
    const t = new UdpTracker(fake.url, { timeoutMs: 200, maxRetries: 0 })
    try {
      await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 60 }), fc.boolean(), async (bytes, scrape) => {
        body = Buffer.from(bytes)
        try {
          if (scrape) await t.scrape([Buffer.alloc(20, 1)])
          else await t.announce(randomRequest())
        } catch (err) {
          expect(err).to.be.instanceOf(TrackerError)
        }
      }), { seed: 0x5eed, numRuns: 150 })
    } finally { t.close(); fake.close() }
  })

  it('surfaces an error action as TrackerFailureError and a short packet as MalformedResponseError', async () => {
    const refusing = await fakeUdpTracker(msg => {
      if (msg.readUInt32BE(8) === 0) return connectReply(msg)
      const b = Buffer.concat([Buffer.alloc(8), Buffer.from('info hash not allowed')])
      b.writeUInt32BE(3, 0); b.writeUInt32BE(msg.readUInt32BE(12), 4)
      return b
    })
    const broken = await fakeUdpTracker(msg => {
      if (msg.readUInt32BE(8) === 0) return connectReply(msg)
      const b = Buffer.alloc(23) // 20-byte header + 3 bytes of a peer
      b.writeUInt32BE(1, 0); b.writeUInt32BE(msg.readUInt32BE(12), 4)
      return b
    })
    const a = new UdpTracker(refusing.url, { timeoutMs: 200 })
    const b = new UdpTracker(broken.url, { timeoutMs: 200 })
    try {
      await a.announce(randomRequest()).then(() => { throw new Error('resolved') }, err => {
        expect(err).to.be.instanceOf(TrackerFailureError)
        expect((err as TrackerFailureError).reason).to.equal('info hash not allowed')
      })
      await b.announce(randomRequest()).then(() => { throw new Error('resolved') }, err => { expect(err).to.be.instanceOf(MalformedResponseError) })
    } finally { a.close(); b.close(); refusing.close(); broken.close() }
  })
})
