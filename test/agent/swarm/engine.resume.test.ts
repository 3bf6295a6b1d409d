import { expect } from 'chai'
import { join } from 'node:path'
import { open, stat } from 'node:fs/promises'
import { makeFixture, sameFiles, engine, waitFor, waitEvent, type Fixture } from './fixtures.ts'
import type { TorrentEngine, UploadPolicy } from '../../../agent/swarm/index.ts'

describe('swarm engine: resume', function () {
  let fx: Fixture | undefined
  const engines: TorrentEngine[] = []
  afterEach(async () => {
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    await fx?.cleanup()
  })

  it('trusts the saved bitfield after a clean stop, re-hashes when a file changed, and completes', async () => {
    fx = await makeFixture({ data: 2 * 1024 * 1024 }, 32 * 1024)
    let served = 0
    let open_ = false
    const policy: UploadPolicy = { canServe: () => open_ || served < 20, priority: () => 0 }
    const seed = engine(fx.meta, fx.seedDir, { uploadPolicy: policy })
    engines.push(seed)
    seed.on('block:uploaded', () => { served++ })
    await seed.start()
    const out = join(fx.root, 'out')
    const resumeFile = join(out, '.seedpay', 'r.resume')
    const first = engine(fx.meta, out, { peers: [seed.address], resumeFile })
    const someVerified = waitEvent<number>(resolve => first.on('piece:verified', ({ index }) => resolve(index)), 'a verified piece')
    await first.start()
    const verifiedIndex = await someVerified
    await new Promise(resolve => setTimeout(resolve, 200))
    const partial = first.stats().verifiedBytes
    await first.stop()
    expect((await stat(resumeFile)).size).to.be.greaterThan(0)
    expect(partial).to.be.greaterThan(0).and.lessThan(fx.meta.length)

    const second = engine(fx.meta, out, { resumeFile })
    engines.push(second)
    await second.start()
    expect(second.stats().verifiedBytes, 'saved bitfield trusted').to.equal(partial)
    await second.stop()

    // Overwrite one verified piece: the mtime moves, so the next start must hash and drop that piece.
    const fh = await open(join(out, 'data'), 'r+')
    await fh.write(Buffer.alloc(100, 0xaa), 0, 100, verifiedIndex * fx.meta.pieceLength)
    await fh.close()
    open_ = true
    const third = engine(fx.meta, out, { resumeFile, peers: [seed.address] })
    engines.push(third)
    const done = waitFor(third, 'done')
    await third.start()
    expect(third.stats().verifiedBytes, 're-hashed after the change').to.be.lessThan(partial)
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
  })
})
