import { expect } from 'chai'
import { join } from 'node:path'
import { makeFixture, engine, waitEvent, type Fixture } from './fixtures.ts'
import type { TorrentEngine } from '../../../agent/swarm/index.ts'

describe('swarm engine: peer exchange (ut_pex)', function () {
  let fx: Fixture | undefined
  const engines: TorrentEngine[] = []
  afterEach(async () => {
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    await fx?.cleanup()
  })

  /** A started seed that serves nobody (so b stays its connected leecher), and b, not started, knowing only it. */
  async function idleSeedAndLeecher (): Promise<{ f: Fixture, seed: TorrentEngine, b: TorrentEngine }> {
    const f = fx = await makeFixture({ data: 256 * 1024 }, 32 * 1024)
    const seed = engine(f.meta, f.seedDir, { uploadPolicy: { canServe: () => false, priority: () => 0 } })
    engines.push(seed)
    await seed.start()
    const b = engine(f.meta, join(f.root, 'b'), { peers: [seed.address] })
    engines.push(b)
    return { f, seed, b }
  }

  it('a leecher that only knows one peer learns the seed from it over PEX and connects', async () => {
    const { f, seed, b } = await idleSeedAndLeecher()
    await b.start()
    const c = engine(f.meta, join(f.root, 'c'), { peers: [b.address] })
    engines.push(c)
    const reachedSeed = waitEvent<string>(resolve => c.on('peer:connect', ({ peerId }) => { if (peerId === seed.peerId) resolve(peerId) }), 'connection to the seed', 10_000)
    await c.start()
    expect(await reachedSeed).to.equal(seed.peerId)
  })

  it('does not dial a peer that dialled it (the listen port of its BEP 10 handshake) while that connection lasts', async () => {
    const { seed, b } = await idleSeedAndLeecher()
    const closes: string[] = []
    const outgoing: string[] = []
    for (const e of [seed, b]) e.on('peer:close', ({ reason }) => { closes.push(String(reason)) })
    seed.on('peer:connect', ({ direction, peerId }) => { if (direction === 'out') outgoing.push(peerId) })
    const connected = waitEvent<string>(resolve => seed.on('peer:connect', ({ peerId }) => { resolve(peerId) }), 'b connects', 10_000)
    await b.start()
    expect(await connected).to.equal(b.peerId)
    await new Promise(resolve => setTimeout(resolve, 200)) // its extended handshake
    // the seed now hears of b's listen address (a tracker, PEX), and keeps it past a redial round (2 s)
    seed.addPeer(b.address)
    await new Promise(resolve => setTimeout(resolve, 2500))
    expect(outgoing).to.deep.equal([])
    expect(closes).to.deep.equal([])
    expect(seed.peerList()).to.have.length(1)
  })

  it('never exchanges peers for a private torrent', async () => {
    fx = await makeFixture({ data: 64 * 1024 }, 32 * 1024)
    const meta = { ...fx.meta, private: true }
    const seed = engine(meta, fx.seedDir, { uploadPolicy: { canServe: () => false, priority: () => 0 } })
    engines.push(seed)
    await seed.start()
    const b = engine(meta, join(fx.root, 'b'), { peers: [seed.address] })
    engines.push(b)
    await b.start()
    const c = engine(meta, join(fx.root, 'c'), { peers: [b.address] })
    engines.push(c)
    let seen = false
    c.on('peer:connect', ({ peerId }) => { if (peerId === seed.peerId) seen = true })
    await c.start()
    await new Promise(resolve => setTimeout(resolve, 2500))
    expect(seen).to.equal(false)
  })
})
