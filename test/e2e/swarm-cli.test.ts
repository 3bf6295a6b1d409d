import { expect } from 'chai'
import { join } from 'node:path'
import { writeFile } from 'node:fs/promises'
import { makeFixture, sameFiles, engine, type Fixture } from '../agent/swarm/fixtures.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { runSeedpay } from '../helpers/cli.ts'
import type { TorrentEngine, UploadPolicy } from '../../agent/swarm/index.ts'

const runCli = runSeedpay

/** A seed that stops serving after `limit` blocks until `open()` is called: lets a download stall half way. */
function gate (limit: number): { policy: UploadPolicy, count: () => void, open: () => void } {
  let served = 0
  let opened = false
  return {
    policy: { canServe: () => opened || served < limit, priority: () => 0 },
    count: () => { served++ },
    open: () => { opened = true }
  }
}

describe('seedpay CLI: create, seed, get', function () {
  let fx: Fixture | undefined
  const children: SeedpayChild[] = []
  const engines: TorrentEngine[] = []
  afterEach(async () => {
    await Promise.all(children.splice(0).map(async c => await c.kill()))
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    await fx?.cleanup()
  })

  it('creates a torrent, seeds it and downloads it with separate processes; get exits 0 when every piece verified', async () => {
    fx = await makeFixture({ data: 2 * 1024 * 1024 + 7 }, 32 * 1024)
    const torrentPath = join(fx.root, 'cli.torrent')
    const created = await runCli(['create', join(fx.seedDir, 'data'), '--output', torrentPath, '--piece-length', '32768', '--json'])
    expect(created.code, created.stderr).to.equal(0)
    expect(JSON.parse(created.stdout.trim())).to.include({ infoHash: fx.meta.infoHash })
    const seed = new SeedpayChild(['seed', torrentPath, '--data', join(fx.seedDir, 'data')])
    children.push(seed)
    const listening = await seed.next('listening')
    const out = join(fx.root, 'out')
    const get = new SeedpayChild(['get', torrentPath, '--out', out, '--peer', `127.0.0.1:${String(listening['port'])}`])
    children.push(get)
    await get.next('done')
    expect(await get.exited).to.equal(0)
    expect(await sameFiles(fx, out)).to.equal(true)
    expect(await seed.stop()).to.equal(0)
  })

  it('resumes after the downloader is killed with SIGKILL: re-checks what is on disk and finishes', async () => {
    fx = await makeFixture({ data: 4 * 1024 * 1024 }, 32 * 1024)
    const torrentPath = join(fx.root, 't.torrent')
    await writeFile(torrentPath, fx.torrent)
    const g = gate(40)
    const seed = engine(fx.meta, fx.seedDir, { uploadPolicy: g.policy })
    engines.push(seed)
    seed.on('block:uploaded', g.count)
    await seed.start()
    const out = join(fx.root, 'out')
    const first = new SeedpayChild(['get', torrentPath, '--out', out, '--peer', seed.address])
    children.push(first)
    let partial = 0
    while (partial === 0) {
      const p = await first.next('progress', 20_000)
      partial = Number(p['verifiedBytes'])
    }
    expect(partial).to.be.lessThan(fx.meta.length)
    first.proc.kill('SIGKILL')
    await first.exited
    g.open()
    const second = new SeedpayChild(['get', torrentPath, '--out', out, '--peer', seed.address])
    children.push(second)
    const resumed = await second.next('listening')
    expect(Number(resumed['verifiedBytes']), 'verified bytes found on restart').to.be.greaterThan(0)
    await second.next('done')
    expect(await second.exited).to.equal(0)
    expect(await sameFiles(fx, out)).to.equal(true)
  })

  it('stops cleanly on SIGINT before completion with exit code 130', async () => {
    fx = await makeFixture({ data: 1024 * 1024 }, 32 * 1024)
    const torrentPath = join(fx.root, 't.torrent')
    await writeFile(torrentPath, fx.torrent)
    const g = gate(8)
    const seed = engine(fx.meta, fx.seedDir, { uploadPolicy: g.policy })
    engines.push(seed)
    seed.on('block:uploaded', g.count)
    await seed.start()
    const get = new SeedpayChild(['get', torrentPath, '--out', join(fx.root, 'out'), '--peer', seed.address])
    children.push(get)
    await get.next('listening')
    await get.next('progress')
    expect(await get.stop()).to.equal(130)
  })

  it('explains bad input in one line with a hint and a non-zero exit, never a stack trace', async () => {
    fx = await makeFixture({ data: 1000 }, 16 * 1024)
    const garbage = join(fx.root, 'garbage.torrent')
    await writeFile(garbage, 'd4:infod4:name1:xee')
    const cases: string[][] = [
      ['get', garbage, '--out', fx.root],
      ['get', join(fx.root, 'missing.torrent'), '--out', fx.root],
      ['get', 'magnet:?xt=urn:btih:123', '--out', fx.root],
      ['get', 'magnet:?xt=urn:btih:' + 'a'.repeat(40), '--out', fx.root, '--peer', 'not-an-address'],
      ['get', 'magnet:?xt=urn:btih:' + 'a'.repeat(40), '--out', fx.root, '--port', '70000'],
      ['create', join(fx.root, 'nothing-here')]
    ]
    for (const args of cases) {
      const r = await runCli(args)
      expect(r.code, args.join(' ')).to.not.equal(0)
      expect(r.stderr, args.join(' ')).to.match(/^error: .+\n {2}\S.+\n$/)
      expect(r.stderr).to.not.match(/\n\s+at /)
    }
  })
})
