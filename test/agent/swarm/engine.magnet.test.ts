import { expect } from 'chai'
import { join } from 'node:path'
import { makeFixture, sameFiles, engine, waitFor, type Fixture } from './fixtures.ts'
import { magnetFor, loadTorrent, type TorrentEngine } from '../../../agent/swarm/index.ts'

describe('swarm engine: magnet links', function () {
  let fx: Fixture | undefined
  const engines: TorrentEngine[] = []
  afterEach(async () => {
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    await fx?.cleanup()
  })

  it('fetches a multi-file torrent\'s metadata over ut_metadata from an x.pe peer, then downloads it', async () => {
    fx = await makeFixture({ 'one.bin': 300_000, 'two/three.bin': 900_001 }, 32 * 1024)
    const seed = engine(fx.meta, fx.seedDir)
    engines.push(seed)
    await seed.start()
    const magnet = await loadTorrent(magnetFor(fx.meta, [seed.address]))
    expect(magnet.kind).to.equal('magnet')
    const out = join(fx.root, 'leech')
    const leech = engine(magnet, out)
    engines.push(leech)
    const done = waitFor(leech, 'done')
    await leech.start()
    const meta = await leech.waitForMetadata()
    expect(meta.infoHash).to.equal(fx.meta.infoHash)
    expect(meta.files.map(f => f.path)).to.deep.equal(fx.meta.files.map(f => f.path))
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
  })
})
