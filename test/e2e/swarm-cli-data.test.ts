import { expect } from 'chai'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { copyFile, mkdir, mkdtemp, open, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { makeFixture, sameFiles, engine, type Fixture } from '../agent/swarm/fixtures.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { runSeedpay } from '../helpers/cli.ts'
import { magnetFor, type TorrentEngine } from '../../agent/swarm/index.ts'

/** `create`, `seed` and `get --seed` keep the user's files safe: no writes into the input or --data unasked. */
describe('seedpay CLI: create, seed and get --seed with the user\'s data', function () {
  let fx: Fixture | undefined
  let home = ''
  let prevHome: string | undefined
  const children: SeedpayChild[] = []
  const engines: TorrentEngine[] = []

  // `seed` keeps its resume data (and logs) under SEEDPAY_HOME: a throwaway one for the children spawned here.
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'seedpay-home-'))
    prevHome = process.env['SEEDPAY_HOME']
    process.env['SEEDPAY_HOME'] = home
  })
  after(async () => {
    if (prevHome === undefined) delete process.env['SEEDPAY_HOME']
    else process.env['SEEDPAY_HOME'] = prevHome
    await rm(home, { recursive: true, force: true })
  })
  afterEach(async () => {
    await Promise.all(children.splice(0).map(async c => await c.kill()))
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    await fx?.cleanup()
    fx = undefined
  })

  function child (args: string[]): SeedpayChild {
    const c = new SeedpayChild(args)
    children.push(c)
    return c
  }

  async function torrentFile (f: Fixture): Promise<string> {
    const path = join(f.root, 't.torrent')
    await writeFile(path, f.torrent)
    return path
  }

  it('get --seed downloads, then keeps seeding: a second downloader gets the data from it', async () => {
    fx = await makeFixture({ data: 1024 * 1024 + 5 }, 32 * 1024)
    const t = await torrentFile(fx)
    const a = child(['seed', t, '--data', join(fx.seedDir, 'data')])
    const aPort = String((await a.next('listening'))['port'])
    const b = child(['get', t, '--out', join(fx.root, 'b'), '--peer', `127.0.0.1:${aPort}`, '--seed'])
    const bPort = String((await b.next('listening', 20_000))['port'])
    await b.next('done', 60_000)
    expect(await sameFiles(fx, join(fx.root, 'b'))).to.equal(true)
    expect(await a.stop()).to.equal(0)
    expect(b.proc.exitCode, 'get --seed still running after done').to.equal(null)
    const c = child(['get', t, '--out', join(fx.root, 'c'), '--peer', `127.0.0.1:${bPort}`])
    await c.next('done', 60_000)
    expect(await c.exited).to.equal(0)
    expect(await sameFiles(fx, join(fx.root, 'c'))).to.equal(true)
    expect(await b.stop()).to.equal(0)
  })

  it('create never writes inside its input, never overwrites without --force, and names a missing input', async () => {
    fx = await makeFixture({ 'notes.txt': 5000, 'b.bin': 70000 }, 16 * 1024)
    const dir = join(fx.seedDir, 'data')
    const notes = join(dir, 'notes.txt')
    const before = await readFile(notes)

    const inside = await runSeedpay(['create', dir, '-o', notes])
    expect(inside.code, inside.stderr).to.equal(2)
    expect(inside.stderr).to.match(/^error: the output .*notes\.txt is inside .*, the content being hashed\n {2}\S.*-o.*\n$/)
    expect((await readFile(notes)).equals(before), 'notes.txt untouched').to.equal(true)
    const forced = await runSeedpay(['create', dir, '-o', notes, '--force'])
    expect(forced.code, '--force never writes inside the input').to.equal(2)
    expect((await readFile(notes)).equals(before)).to.equal(true)

    const out = join(fx.root, 'x.torrent')
    await writeFile(out, 'mine')
    const taken = await runSeedpay(['create', dir, '-o', out])
    expect(taken.code, taken.stderr).to.equal(2)
    expect(taken.stderr).to.match(/^error: .*x\.torrent already exists\n {2}.*--force.*another -o\n$/)
    expect(await readFile(out, 'utf8')).to.equal('mine')
    const over = await runSeedpay(['create', dir, '-o', out, '--force', '--json'])
    expect(over.code, over.stderr).to.equal(0)
    expect(JSON.parse(over.stdout.trim())).to.include({ infoHash: fx.meta.infoHash })

    const missing = await runSeedpay(['create', join(fx.root, 'no-such-folder')])
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.match(/^error: .*no-such-folder does not exist\n {2}\S.+\n$/)
    expect(missing.stderr).to.not.match(/\.torrent file/)
  })

  it('seed never writes into damaged --data: it seeds the good pieces, names the bad ones, and --repair fixes them', async () => {
    const pl = 32 * 1024
    fx = await makeFixture({ data: 32 * pl }, pl)
    const t = await torrentFile(fx)
    const good = engine(fx.meta, fx.seedDir)
    engines.push(good)
    await good.start()
    // The user's copy: pieces 4 and 17 damaged in place, and cut short inside piece 28.
    const mine = join(fx.root, 'mine')
    await mkdir(mine)
    const file = join(mine, 'data')
    await copyFile(join(fx.seedDir, 'data'), file)
    const fh = await open(file, 'r+')
    for (const i of [4, 17]) await fh.write(Buffer.alloc(64, 0x55), 0, 64, i * pl + 1000)
    await fh.close()
    await truncate(file, 28 * pl + 100)
    const damaged = await readFile(file)
    const stamp = (await stat(file)).mtimeMs

    // A peer that has every piece is right there: without --repair nothing may be fetched from it.
    const first = child(['seed', t, '--data', mine, '--peer', good.address])
    const listening = await first.next('listening', 20_000)
    expect(listening['verifiedBytes']).to.equal(26 * pl)
    const bad = await first.next('pieces:bad', 20_000)
    expect(bad).to.deep.include({ count: 6, pieces: 32, bad: [4, 17, 28, 29, 30, 31], repair: false })
    await first.next('peer:connect', 20_000)
    for (let i = 0; i < 3; i++) expect((await first.next('progress', 20_000))['verifiedBytes']).to.equal(26 * pl)
    expect(await first.stop()).to.equal(0)
    expect(first.stderr).to.include('6 of 32 pieces do not match the data (pieces 4, 17, 28, 29, 30, 31); seeding the other 26; pass --repair to download them into --data')
    expect((await readFile(file)).equals(damaged), '--data untouched').to.equal(true)
    expect((await stat(file)).mtimeMs).to.equal(stamp)
    expect(await readdir(mine)).to.deep.equal(['data'])

    // It serves what verified: a downloader that only knows it gets those 26 pieces.
    const second = child(['seed', t, '--data', mine])
    const port = String((await second.next('listening', 20_000))['port'])
    const leech = child(['get', t, '--out', join(fx.root, 'leech'), '--peer', `127.0.0.1:${port}`])
    let got = 0
    while (got < 26 * pl) got = Number((await leech.next('progress', 20_000))['verifiedBytes'])
    expect(got).to.equal(26 * pl)
    await leech.kill()
    expect(await second.stop()).to.equal(0)
    expect((await readFile(file)).equals(damaged)).to.equal(true)

    const repair = child(['seed', t, '--data', mine, '--peer', good.address, '--repair'])
    expect(await repair.next('pieces:bad', 20_000)).to.deep.include({ count: 6, repair: true })
    await repair.next('done', 60_000)
    expect(await repair.stop()).to.equal(0)
    expect(await sameFiles(fx, mine), '--repair downloaded the bad pieces into --data').to.equal(true)
  })

  it('seed refuses data of which no piece verifies, without touching it', async () => {
    fx = await makeFixture({ data: 200_000 }, 16 * 1024)
    const t = await torrentFile(fx)
    const other = join(fx.root, 'other')
    await mkdir(other)
    await writeFile(join(other, 'data'), Buffer.alloc(200_000, 7))
    const r = await runSeedpay(['seed', t, '--data', other])
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.match(/^error: none of the 13 pieces of "data" match the data under .*other\n {2}.*--repair.*\n$/)
    expect((await readFile(join(other, 'data'))).equals(Buffer.alloc(200_000, 7))).to.equal(true)
  })

  it('seed <magnet> fetches the metadata from --peer, then seeds --data to a third downloader', async () => {
    fx = await makeFixture({ 'a.bin': 300_000, 'sub/b.bin': 500_000 }, 32 * 1024)
    const t = await torrentFile(fx)
    const a = child(['seed', t, '--data', join(fx.seedDir, 'data')])
    const aPort = String((await a.next('listening'))['port'])
    const copy = join(fx.root, 'copy')
    await mkdir(join(copy, 'data', 'sub'), { recursive: true })
    for (const rel of ['a.bin', 'sub/b.bin']) await copyFile(join(fx.seedDir, 'data', rel), join(copy, 'data', rel))
    const b = child(['seed', magnetFor(fx.meta), '--data', copy, '--peer', `127.0.0.1:${aPort}`])
    const listening = await b.next('listening', 30_000)
    expect(listening).to.include({ infoHash: fx.meta.infoHash, verifiedBytes: fx.meta.length })
    expect(await a.stop()).to.equal(0)
    const c = child(['get', t, '--out', join(fx.root, 'c'), '--peer', `127.0.0.1:${String(listening['port'])}`])
    await c.next('done', 60_000)
    expect(await c.exited).to.equal(0)
    expect(await sameFiles(fx, join(fx.root, 'c'))).to.equal(true)
    expect(await b.stop()).to.equal(0)
  })

  it('seed trusts its resume data (kept outside --data) on the next start, and re-hashes a file changed since', async () => {
    const pl = 256 * 1024
    fx = await makeFixture({ data: 64 * 1024 * 1024 }, pl)
    const t = await torrentFile(fx)
    const data = join(fx.seedDir, 'data')
    const seedOnce = async (extra: string[] = []): Promise<SeedpayChild> => child(['seed', t, '--data', data, ...extra])

    const first = await seedOnce()
    expect(await first.next('listening', 60_000)).to.include({ resume: 'hashed', verifiedBytes: fx.meta.length })
    expect(await first.stop()).to.equal(0)
    const resumeFile = join(home, 'resume', `${fx.meta.infoHash}.resume`)
    expect((await stat(resumeFile)).size).to.be.greaterThan(0)
    expect(await readdir(fx.seedDir), 'nothing written beside the data').to.deep.equal(['data'])

    const second = await seedOnce()
    expect(await second.next('listening', 60_000)).to.include({ resume: 'saved', verifiedBytes: fx.meta.length })
    expect(await second.stop()).to.equal(0)

    const fh = await open(data, 'r+')
    await fh.write(Buffer.alloc(10, 0xee), 0, 10, 100 * pl + 77)
    await fh.close()
    const third = await seedOnce()
    expect(await third.next('listening', 60_000)).to.include({ resume: 'hashed', verifiedBytes: fx.meta.length - pl })
    expect(await third.next('pieces:bad', 20_000)).to.deep.include({ count: 1, bad: [100] })
    expect(await third.stop()).to.equal(0)
    expect(third.stderr).to.include('1 of 256 pieces do not match the data (piece 100); seeding the other 255')

    const fourth = await seedOnce()
    expect(await fourth.next('listening', 60_000)).to.include({ resume: 'saved', verifiedBytes: fx.meta.length - pl })
    expect(await fourth.stop()).to.equal(0)
    const rechecked = await seedOnce(['--recheck'])
    expect(await rechecked.next('listening', 60_000)).to.include({ resume: 'hashed', verifiedBytes: fx.meta.length - pl })
    expect(await rechecked.stop()).to.equal(0)
  })
})
