import { expect } from 'chai'
import { join } from 'node:path'
import { makeFixture, sameFiles, engine, waitFor, type Fixture } from './fixtures.ts'
import type { TorrentEngine } from '../../../agent/swarm/index.ts'

describe('swarm engine: transfers over real sockets', function () {
  let fx: Fixture
  const engines: TorrentEngine[] = []
  afterEach(async () => {
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    await fx?.cleanup()
  })

  it('downloads a single-file torrent from one seed and attributes every verified byte to it', async () => {
    fx = await makeFixture({ data: 3 * 1024 * 1024 + 12345 })
    const seed = engine(fx.meta, fx.seedDir)
    engines.push(seed)
    await seed.start()
    const out = join(fx.root, 'leech')
    const leech = engine(fx.meta, out, { peers: [seed.address] })
    engines.push(leech)
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
})
