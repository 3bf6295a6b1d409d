import { expect } from 'chai'
import { join } from 'node:path'
import { makeFixture, sameFiles, engine, waitFor, type Fixture } from './fixtures.ts'
import { startJsTracker, type JsTracker } from '../../../devtools/clients/trackers.ts'
import type { TorrentEngine } from '../../../agent/swarm/index.ts'

describe('swarm engine: transfers over real sockets', function () {
  let fx: Fixture | undefined
  let tracker: JsTracker | undefined
  const engines: TorrentEngine[] = []
  afterEach(async () => {
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    await tracker?.close()
    tracker = undefined
    await fx?.cleanup()
  })

  function track (e: TorrentEngine): TorrentEngine { engines.push(e); return e }

  it('downloads a single-file torrent from one seed and attributes every verified byte to it', async () => {
    fx = await makeFixture({ data: 3 * 1024 * 1024 + 12345 })
    const seed = track(engine(fx.meta, fx.seedDir))
    await seed.start()
    const out = join(fx.root, 'leech')
    const leech = track(engine(fx.meta, out, { peers: [seed.address] }))
    const bytes = new Map<string, number>()
    leech.on('piece:verified', ({ bytesByPeer }) => {
      for (const [id, n] of bytesByPeer) bytes.set(id, (bytes.get(id) ?? 0) + n)
    })
    const done = waitFor(leech, 'done')
    await leech.start()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
    expect([...bytes.entries()]).to.deep.equal([[seed.peerId, fx.meta.length]])
  })

  it('downloads a multi-file torrent whose pieces span file boundaries, including an empty file', async () => {
    fx = await makeFixture({ 'a.bin': 100_000, 'sub/b.bin': 1_234_567, 'sub/deeper/c.bin': 33, 'empty.txt': 0, 'z.bin': 700_001 }, 64 * 1024)
    expect(fx.meta.files.length).to.equal(5)
    const seed = track(engine(fx.meta, fx.seedDir))
    await seed.start()
    const out = join(fx.root, 'leech')
    const leech = track(engine(fx.meta, out, { peers: [seed.address] }))
    const done = waitFor(leech, 'done')
    await leech.start()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
  })

  it('one seed with a single upload slot feeds three leechers found via a tracker, which trade among themselves', async () => {
    tracker = await startJsTracker()
    fx = await makeFixture({ data: 4 * 1024 * 1024 }, 32 * 1024)
    const announce = [tracker.httpUrl]
    const seed = track(engine(fx.meta, fx.seedDir, { announce, uploadSlots: 1, optimisticSlots: 0 }))
    await seed.start()
    const fromLeechers = new Map<string, number>()
    const leechers = [0, 1, 2].map(i => track(engine(fx!.meta, join(fx!.root, `leech${i}`), { announce })))
    const ids = new Set(leechers.map(l => l.peerId))
    for (const l of leechers) {
      l.on('piece:verified', ({ bytesByPeer }) => {
        for (const [id, n] of bytesByPeer) if (ids.has(id)) fromLeechers.set(l.peerId, (fromLeechers.get(l.peerId) ?? 0) + n)
      })
    }
    const done = leechers.map(async l => await waitFor(l, 'done'))
    for (const l of leechers) await l.start()
    await Promise.all(done)
    for (let i = 0; i < 3; i++) expect(await sameFiles(fx, join(fx.root, `leech${i}`))).to.equal(true)
    const traded = [...fromLeechers.values()].reduce((a, b) => a + b, 0)
    expect(traded, 'bytes leechers got from each other').to.be.greaterThan(0)
  })
})

describe('swarm engine: peers that drop requests', function () {
  it('re-asks for requests a peer silently dropped instead of waiting for the request timeout', async () => {
    const { startRawSeed } = await import('./raw-peer.ts')
    const fx = await makeFixture({ data: 2 * 1024 * 1024 }, 32 * 1024)
    const data = fx.files.get('data')!
    const dropped = new Set<string>()
    // Like Transmission past its queue: every 50th request vanishes, but only the first time it is asked.
    const seed = await startRawSeed(fx.meta, (index, offset, length, n) => {
      const key = `${index}:${offset}`
      if (n % 50 === 7 && !dropped.has(key)) { dropped.add(key); return null }
      const start = index * fx.meta.pieceLength + offset
      return data.subarray(start, start + length)
    })
    const leech = engine(fx.meta, join(fx.root, 'leech'), { peers: [seed.address] })
    try {
      const t0 = Date.now()
      const done = waitFor(leech, 'done', 20_000)
      await leech.start()
      await done
      expect(dropped.size).to.be.greaterThan(0)
      expect(Date.now() - t0, 'well under the 30 s request timeout').to.be.lessThan(15_000)
      expect(await sameFiles(fx, join(fx.root, 'leech'))).to.equal(true)
    } finally {
      await leech.stop()
      await seed.close()
      await fx.cleanup()
    }
  })
})

describe('swarm engine: connection management', function () {
  it('completes when two peers dial each other at the same time (crossed connections resolve by peer id)', async () => {
    const { createServer } = await import('node:net')
    const fx = await makeFixture({ data: 512 * 1024 }, 32 * 1024)
    // Reserve two ports so each side can be told the other's address before either starts.
    const ports = await Promise.all([0, 1].map(async () => await new Promise<number>(resolve => {
      const s = createServer().listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0)) })
    })))
    const a = engine(fx.meta, fx.seedDir, { port: ports[0], peers: [`127.0.0.1:${ports[1]!}`] })
    const b = engine(fx.meta, join(fx.root, 'b'), { port: ports[1], peers: [`127.0.0.1:${ports[0]!}`] })
    try {
      const done = waitFor(b, 'done', 20_000)
      await Promise.all([a.start(), b.start()])
      await done
      expect(await sameFiles(fx, join(fx.root, 'b'))).to.equal(true)
    } finally {
      await a.stop()
      await b.stop()
      await fx.cleanup()
    }
  })
})

describe('swarm engine: silent peers', function () {
  it('does not wait on a peer that sits on its requests: the blocks are fetched from another peer', async () => {
    const { startRawSeed } = await import('./raw-peer.ts')
    const fx = await makeFixture({ data: 1024 * 1024 }, 32 * 1024)
    const silent = await startRawSeed(fx.meta, () => null)
    const seed = engine(fx.meta, fx.seedDir)
    const leech = engine(fx.meta, join(fx.root, 'leech'), { peers: [silent.address], requestTimeoutMs: 1500 })
    try {
      await seed.start()
      const done = waitFor(leech, 'done', 15_000)
      await leech.start()
      // Let the silent peer take pieces first, then offer the honest seed.
      await new Promise(resolve => setTimeout(resolve, 300))
      expect(silent.requests()).to.be.greaterThan(0)
      leech.addPeer(seed.address)
      await done
      expect(await sameFiles(fx, join(fx.root, 'leech'))).to.equal(true)
    } finally {
      await leech.stop()
      await seed.stop()
      await silent.close()
      await fx.cleanup()
    }
  })
})
