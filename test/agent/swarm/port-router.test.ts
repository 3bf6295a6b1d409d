/**
 * Many torrents on one listening port: real engines and a real libtorrent over TCP, a raw socket for what
 * must never reach a torrent (another protocol, an unknown info hash, silence), fuzzed prefixes.
 */
import { expect } from 'chai'
import { connect, type Socket } from 'node:net'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { makeFixture, sameFiles, engine, waitFor, logger, type Fixture } from './fixtures.ts'
import { handshakeSocket, closesWithin } from './raw-peer.ts'
import { PortRouter, PortRouteTakenError, TorrentEngine, loadTorrent, type UnroutedReason } from '../../../agent/swarm/index.ts'
import { LibtorrentClient, makeTestTorrent, sha256File, stopAllProcesses, freePort, type TestTorrent } from '../../../devtools/clients/index.ts'

async function rawSocket (address: string): Promise<Socket> {
  const [host, port] = address.split(':')
  const s = connect({ host: host!, port: Number(port) })
  s.on('error', () => {})
  await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject) })
  return s
}

const handshake = (infoHash: string): Buffer => Buffer.concat([
  Buffer.from('\x13BitTorrent protocol', 'latin1'), Buffer.alloc(8), Buffer.from(infoHash, 'hex'), Buffer.alloc(20, 7)
])

describe('swarm: many torrents on one port (PortRouter)', function () {
  this.timeout(90_000)
  const fixtures: Fixture[] = []
  const engines: TorrentEngine[] = []
  const routers: PortRouter[] = []
  afterEach(async () => {
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    await Promise.all(routers.splice(0).map(async r => await r.stop()))
    await Promise.all(fixtures.splice(0).map(async f => await f.cleanup()))
  })
  after(async () => { await stopAllProcesses() })

  async function router (init: ConstructorParameters<typeof PortRouter>[1] = {}): Promise<PortRouter> {
    const r = new PortRouter({ logger }, { host: '127.0.0.1', ...init })
    routers.push(r)
    await r.listen()
    return r
  }
  const track = (e: TorrentEngine): TorrentEngine => { engines.push(e); return e }

  it('two seeding engines share one port and each leecher gets its own torrent from it', async () => {
    const a = await makeFixture({ data: 2 * 1024 * 1024 + 7 }, 32 * 1024)
    const b = await makeFixture({ 'x.bin': 700_000, 'y/z.bin': 1_300_001 }, 64 * 1024, 'multi')
    fixtures.push(a, b)
    const r = await router()
    const seedA = track(engine(a.meta, a.seedDir, { router: r }))
    const seedB = track(engine(b.meta, b.seedDir, { router: r }))
    await seedA.start()
    await seedB.start()
    expect(seedA.address).to.equal(r.address)
    expect(seedB.port).to.equal(r.port)
    expect(r.torrents.sort()).to.deep.equal([a.meta.infoHash, b.meta.infoHash].sort())

    const outA = join(a.root, 'leech')
    const outB = join(b.root, 'leech')
    const leechA = track(engine(a.meta, outA, { peers: [r.address] }))
    const leechB = track(engine(b.meta, outB, { peers: [r.address] }))
    const done = Promise.all([waitFor(leechA, 'done'), waitFor(leechB, 'done')])
    await Promise.all([leechA.start(), leechB.start()])
    await done
    expect(await sameFiles(a, outA)).to.equal(true)
    expect(await sameFiles(b, outB)).to.equal(true)
    expect(seedA.stats().uploaded).to.be.at.least(a.meta.length)
    expect(seedB.stats().uploaded).to.be.at.least(b.meta.length)
    expect([...r.unrouted]).to.deep.equal([])
  })

  it('libtorrent downloads one of two torrents served on the shared port', async () => {
    const other = await makeFixture({ data: 300_000 }, 32 * 1024)
    fixtures.push(other)
    let t: TestTorrent | undefined
    const lt = new LibtorrentClient()
    try {
      t = await makeTestTorrent({ size: 3 * 1024 * 1024 + 12345 })
      const r = await router({ host: '127.0.0.2' })
      track(engine(other.meta, other.seedDir, { router: r }))
      const seed = track(new TorrentEngine({ logger }, { torrent: await loadTorrent(t.torrentPath), dataDir: t.seedDir, router: r }))
      await Promise.all(engines.map(async e => await e.start()))
      const dir = join(t.dir, 'lt')
      await mkdir(dir)
      await lt.start(t.torrentPath, dir, { host: '127.0.0.3', port: await freePort('127.0.0.3'), seed: false, peers: [{ host: '127.0.0.2', port: r.port }] })
      await lt.waitForComplete({ timeoutMs: 60_000 })
      expect(await sha256File(join(dir, t.name))).to.equal(t.sha256)
      expect(seed.stats().uploaded).to.be.at.least(t.length)
    } finally {
      await lt.stop()
      await t?.cleanup()
    }
  })

  it('closes what names no torrent here, speaks another protocol or stays silent, and counts why', async () => {
    const a = await makeFixture({ data: 100_000 }, 32 * 1024)
    fixtures.push(a)
    const r = await router({ handshakeTimeoutMs: 300 })
    const seed = track(engine(a.meta, a.seedDir, { router: r }))
    await seed.start()
    const closes: string[] = []
    seed.on('peer:close', ({ reason }) => closes.push(reason))

    const unknown = await rawSocket(r.address)
    unknown.write(handshake('ab'.repeat(20)))
    expect(await closesWithin(unknown, 2000), 'unknown info hash closed').to.equal(true)

    const http = await rawSocket(r.address)
    http.write('GET / HTTP/1.1\r\n')
    expect(await closesWithin(http, 2000), 'another protocol closed').to.equal(true)

    const silent = await rawSocket(r.address)
    expect(await closesWithin(silent, 2000), 'silent peer timed out').to.equal(true)

    // the handshake in 1-byte writes still routes: the router waits for all 48 bytes
    const slow = await rawSocket(r.address)
    const hs = handshake(a.meta.infoHash)
    for (const byte of hs) { slow.write(Buffer.from([byte])); await new Promise(resolve => setTimeout(resolve, 1)) }
    const answer = await new Promise<Buffer>(resolve => { slow.once('data', resolve) })
    expect(answer.subarray(28, 48).toString('hex')).to.equal(a.meta.infoHash)
    slow.destroy()

    // another protocol is taken for an MSE handshake (encryption prefer) that never completes
    expect(Object.fromEntries(r.unrouted)).to.deep.equal({ 'no such torrent': 1, 'encrypted handshake failed': 1, 'handshake timeout': 1 })
    // none of these was a peer of the torrent: only the routed one reached it
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(closes).to.have.length(1)
    // the torrent still serves a well-behaved peer after all that
    const ok = await handshakeSocket(r.address, a.meta.infoHash)
    expect(ok.destroyed).to.equal(false)
    ok.destroy()
  })

  it('with encryption off, closes anything but the protocol string at once as not a BitTorrent handshake', async () => {
    const r = await router({ encryption: 'off' })
    const http = await rawSocket(r.address)
    http.write('GET / HTTP/1.1\r\n')
    expect(await closesWithin(http, 2000)).to.equal(true)
    expect(Object.fromEntries(r.unrouted)).to.deep.equal({ 'not a BitTorrent handshake': 1 })
  })

  it('refuses the same torrent twice on one port, and closes its connections once it stops', async () => {
    const a = await makeFixture({ data: 100_000 }, 32 * 1024)
    fixtures.push(a)
    const r = await router()
    const first = track(engine(a.meta, a.seedDir, { router: r }))
    await first.start()
    const second = engine(a.meta, a.seedDir, { router: r })
    let error: unknown
    try { await second.start() } catch (err) { error = err }
    expect(error).to.be.instanceOf(PortRouteTakenError)
    // the failed start left the first torrent's route in place
    const s = await handshakeSocket(r.address, a.meta.infoHash)
    s.destroy()
    await first.stop()
    expect(r.torrents).to.deep.equal([])
    const after = await rawSocket(r.address)
    after.write(handshake(a.meta.infoHash))
    expect(await closesWithin(after, 2000)).to.equal(true)
    expect(r.unrouted.get('no such torrent')).to.equal(1)
  })

  it('any bytes a connection opens with either reach the torrent as its handshake or close only that connection (fuzzed)', async () => {
    const a = await makeFixture({ data: 100_000 }, 32 * 1024)
    fixtures.push(a)
    const r = await router({ handshakeTimeoutMs: 200 })
    const seed = track(engine(a.meta, a.seedDir, { router: r }))
    await seed.start()
    const observer = await handshakeSocket(r.address, a.meta.infoHash)
    const real = handshake(a.meta.infoHash)
    const prefix = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 96 }),
      // a true protocol string with a random rest: an unknown hash or, rarely, too short
      fc.uint8Array({ minLength: 0, maxLength: 40 }).map(rest => Buffer.concat([real.subarray(0, 20), rest])),
      // the right handshake cut short
      fc.integer({ min: 0, max: 47 }).map(n => real.subarray(0, n))
    )
    await fc.assert(fc.asyncProperty(prefix, async bytes => {
      const s = await rawSocket(r.address)
      try {
        s.write(bytes)
        return await closesWithin(s, 2000)
      } finally {
        s.destroy()
      }
    }), { seed: 8080, numRuns: 40 })
    expect(observer.destroyed, 'a routed connection is untouched').to.equal(false)
    const total = [...r.unrouted.values()].reduce((x, y) => x + y, 0)
    expect(total).to.equal(40)
    const reasons = new Set<UnroutedReason>(r.unrouted.keys())
    for (const reason of reasons) expect(['not a BitTorrent handshake', 'encrypted handshake failed', 'no such torrent', 'handshake timeout']).to.include(reason)
    observer.destroy()
  })

  it('refuses connections past its pending-handshake bound', async () => {
    const r = await router({ maxPending: 2, handshakeTimeoutMs: 5_000 })
    const held = [await rawSocket(r.address), await rawSocket(r.address)]
    await new Promise(resolve => setTimeout(resolve, 50))
    const third = await rawSocket(r.address)
    expect(await closesWithin(third, 2000)).to.equal(true)
    expect(r.unrouted.get('too many pending handshakes')).to.equal(1)
    for (const s of held) s.destroy()
  })
})
