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

  it('a leecher that only knows one peer learns the seed from it over PEX and connects', async () => {
    fx = await makeFixture({ data: 256 * 1024 }, 32 * 1024)
    // The seed serves nobody, so b stays a connected leecher of it and has the seed to advertise.
    const seed = engine(fx.meta, fx.seedDir, { uploadPolicy: { canServe: () => false, priority: () => 0 } })
    engines.push(seed)
    await seed.start()
    const b = engine(fx.meta, join(fx.root, 'b'), { peers: [seed.address] })
    engines.push(b)
    await b.start()
    const c = engine(fx.meta, join(fx.root, 'c'), { peers: [b.address] })
    engines.push(c)
    const reachedSeed = waitEvent<string>(resolve => c.on('peer:connect', ({ peerId }) => { if (peerId === seed.peerId) resolve(peerId) }), 'connection to the seed', 10_000)
    await c.start()
    expect(await reachedSeed).to.equal(seed.peerId)
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
