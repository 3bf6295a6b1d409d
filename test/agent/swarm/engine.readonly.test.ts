import { expect } from 'chai'
import { join } from 'node:path'
import { cp, readFile, readdir, rm, stat } from 'node:fs/promises'
import { makeFixture, engine, waitEvent, type Fixture } from './fixtures.ts'
import type { TorrentEngine } from '../../../agent/swarm/index.ts'

describe('swarm engine: read-only data (a seeder\'s own files)', function () {
  let fx: Fixture | undefined
  const engines: TorrentEngine[] = []
  afterEach(async () => {
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    await fx?.cleanup()
  })

  it('creates no missing file and fetches nothing, even next to a full seed; serves the pieces that verify', async () => {
    fx = await makeFixture({ 'a.bin': 100_000, 'b.bin': 90_000, 'c.bin': 120_000 }, 16 * 1024)
    const full = engine(fx.meta, fx.seedDir)
    engines.push(full)
    await full.start()
    const mine = join(fx.root, 'mine')
    await cp(fx.seedDir, mine, { recursive: true })
    await rm(join(mine, 'data', 'b.bin'))
    const aStamp = (await stat(join(mine, 'data', 'a.bin'))).mtimeMs

    const ro = engine(fx.meta, mine, { readOnly: true, peers: [full.address] })
    engines.push(ro)
    const connected = waitEvent<void>(resolve => ro.on('peer:connect', () => resolve()), 'connect to the full seed')
    await ro.start()
    const missing = ro.missingPieces()
    // b.bin spans bytes 100000..189999: pieces 6 (shared with a.bin) to 11 (shared with c.bin).
    expect(missing).to.deep.equal([6, 7, 8, 9, 10, 11])
    await connected
    await new Promise(resolve => setTimeout(resolve, 1500))
    expect(ro.missingPieces(), 'nothing downloaded').to.deep.equal(missing)
    expect(ro.stats().downloaded).to.equal(0)
    expect(await readdir(join(mine, 'data'))).to.deep.equal(['a.bin', 'c.bin'])
    expect((await stat(join(mine, 'data', 'a.bin'))).mtimeMs).to.equal(aStamp)

    // A leecher that only knows the read-only seed gets every piece it has.
    await full.stop()
    const leech = engine(fx.meta, join(fx.root, 'leech'), { peers: [ro.address], pex: false })
    engines.push(leech)
    const wanted = fx.meta.pieceCount - missing.length
    const got = waitEvent<void>(resolve => leech.on('piece:verified', () => { if (leech.stats().piecesVerified === wanted) resolve() }), 'the verified pieces')
    await leech.start()
    await got
    expect(leech.missingPieces()).to.deep.equal(missing)
    const c = await readFile(join(fx.root, 'leech', 'data', 'c.bin'))
    expect(c.subarray(20_000).equals(fx.files.get(join('data', 'c.bin'))!.subarray(20_000))).to.equal(true)
  })
})
