import { expect } from 'chai'
import { join } from 'node:path'
import { cp, stat, utimes } from 'node:fs/promises'
import { makeFixture, type Fixture } from './fixtures.ts'
import { loadResume, saveResume } from '../../../agent/swarm/resume.ts'

describe('swarm resume file', function () {
  let fx: Fixture | undefined
  afterEach(async () => { await fx?.cleanup() })

  it('is trusted only for the --data it was saved for: a copy with the same sizes and mtimes is hashed', async () => {
    fx = await makeFixture({ data: 100_000 }, 16 * 1024)
    const file = join(fx.root, 'r.resume')
    // Whole seconds, so the copy can carry exactly the same mtime.
    const t = 1_700_000_000
    await utimes(join(fx.seedDir, 'data'), t, t)
    const bits = new Uint8Array(1).fill(0b10100000)
    await saveResume(file, fx.meta, fx.seedDir, bits)
    const have = await loadResume(file, fx.meta, fx.seedDir)
    expect(have).to.deep.equal([true, false, true, false, false, false, false])

    const copy = join(fx.root, 'copy')
    await cp(fx.seedDir, copy, { recursive: true })
    await utimes(join(copy, 'data'), t, t)
    expect((await stat(join(copy, 'data'))).mtimeMs).to.equal((await stat(join(fx.seedDir, 'data'))).mtimeMs)
    expect(await loadResume(file, fx.meta, copy)).to.equal(null)
  })

  it('is not trusted once a file changed, even when stamped before the change', async () => {
    fx = await makeFixture({ data: 50_000 }, 16 * 1024)
    const file = join(fx.root, 'r.resume')
    const s = await stat(join(fx.seedDir, 'data'))
    await saveResume(file, fx.meta, fx.seedDir, new Uint8Array(1).fill(0xf0), [{ path: 'data', size: s.size, mtimeMs: s.mtimeMs - 1 }])
    expect(await loadResume(file, fx.meta, fx.seedDir)).to.equal(null)
  })
})
