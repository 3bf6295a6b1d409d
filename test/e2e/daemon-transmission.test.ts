/**
 * Beside a real Debian transmission-daemon (RPC with a password): the seedpay daemon sells what Transmission has
 * finished, from Transmission's own files, never writing there; follows torrents added and removed in Transmission;
 * and says so in one line when Transmission cannot be asked, without stopping.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTorrentFile, parseTorrentBuffer } from '../../agent/swarm/index.ts'
import { TransmissionClient, stopAllProcesses, freePort } from '../../devtools/clients/index.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { runSeedpay } from '../helpers/cli.ts'

interface Listed { infoHash: string, name: string, state: string, source: string }

describe('seedpay daemon: importing from a running transmission-daemon', function () {
  this.timeout(120_000)
  let dir: string
  let trData: string
  const previousHome = process.env['SEEDPAY_HOME']
  const children: SeedpayChild[] = []
  const tr = new TransmissionClient({ rpcAuth: { username: 'me', password: 'secret word' } })
  const torrents: Record<string, { file: string, infoHash: string }> = {}

  const list = async (home: string): Promise<Listed[]> => {
    const r = await runSeedpay(['list', '--json'], { SEEDPAY_HOME: home })
    expect(r.code, r.stderr).to.equal(0)
    return (JSON.parse(r.stdout) as { torrents: Listed[] }).torrents
  }
  const eventually = async (what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> => {
    const deadline = Date.now() + ms
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`)
      await new Promise(resolve => setTimeout(resolve, 250))
    }
  }
  const daemon = (config: string, home: string): SeedpayChild => {
    process.env['SEEDPAY_HOME'] = home
    const c = new SeedpayChild(['daemon', '--config', config])
    children.push(c)
    return c
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seedpay-daemon-tr-'))
    trData = join(dir, 'transmission-downloads')
    await mkdir(trData)
    for (const [name, size, withData] of [['x.bin', 2 * 1024 * 1024 + 11, true], ['y.bin', 1024 * 1024 + 5, true], ['z.bin', 1024 * 1024, false]] as const) {
      const content = randomBytes(size)
      const src = join(withData ? trData : dir, name)
      await writeFile(src, content)
      const buf = await createTorrentFile(src, { pieceLength: 64 * 1024 })
      if (!withData) await rm(src)
      const file = join(dir, `${name}.torrent`)
      await writeFile(file, buf)
      torrents[name] = { file, infoHash: (await parseTorrentBuffer(buf)).infoHash }
    }
    await tr.start(torrents['x.bin']!.file, trData, { host: '127.0.0.7', port: await freePort('127.0.0.7') })
    await tr.waitForComplete({ timeoutMs: 30_000 })
    // a torrent Transmission is still downloading (its data is nowhere): not for sale
    await tr.addTorrent(torrents['z.bin']!.file, trData)
    await writeFile(join(dir, 'tr.pass'), 'secret word\n', { mode: 0o600 })
  })
  afterEach(async () => { await Promise.all(children.splice(0).map(async c => await c.stop())) })
  after(async () => {
    await tr.stop()
    await stopAllProcesses()
    if (previousHome === undefined) delete process.env['SEEDPAY_HOME']
    else process.env['SEEDPAY_HOME'] = previousHome
    await rm(dir, { recursive: true, force: true })
  })

  it('sells Transmission\'s finished torrents from its files and follows what is added and removed there', async () => {
    const home = join(dir, 'home')
    const config = join(dir, 'config.toml')
    await writeFile(config, ['[daemon]', 'listen = "127.0.0.2:0"', 'api = "127.0.0.1:0"', '',
      '[transmission]', `rpc = "${tr.rpcUrl}"`, 'username = "me"', 'password-file = "tr.pass"', 'poll = 1', ''].join('\n'))
    const before = await Promise.all(['x.bin', 'y.bin'].map(async n => (await stat(join(trData, n))).mtimeMs))
    const d = daemon(config, home)
    expect(await d.next('transmission:synced', 30_000)).to.include({ torrents: 2, complete: 1 })
    const started = await d.next('daemon', 30_000)
    expect(started).to.include({ torrents: 1, seeding: 1 })
    expect((await list(home)).map(t => [t.name, t.state, t.source])).to.deep.equal([['x.bin', 'seeding', 'transmission']])

    const out = join(dir, 'got')
    const get = new SeedpayChild(['get', torrents['x.bin']!.file, '--out', out, '--peer', String(started['listen']), '--host', '127.0.0.3'])
    children.push(get)
    expect(await get.exited, get.stderr).to.equal(0)
    expect((await readFile(join(out, 'x.bin'))).equals(await readFile(join(trData, 'x.bin')))).to.equal(true)

    const y = await tr.addTorrent(torrents['y.bin']!.file, trData)
    await eventually('y.bin for sale', async () => (await list(home)).some(t => t.name === 'y.bin' && t.state === 'seeding'))
    const x = 1 // the first torrent Transmission was given
    await tr.removeTorrent(x)
    await eventually('x.bin gone', async () => !(await list(home)).some(t => t.name === 'x.bin'))
    expect((await list(home)).map(t => t.name)).to.deep.equal(['y.bin'])
    expect((await tr.torrentState(y))?.leftUntilDone).to.equal(0)

    // nothing was written into Transmission's folder: the same files, untouched
    expect((await readdir(trData)).sort()).to.deep.equal(['x.bin', 'y.bin'])
    expect(await Promise.all(['x.bin', 'y.bin'].map(async n => (await stat(join(trData, n))).mtimeMs))).to.deep.equal(before)
  })

  it('a wrong password or a Transmission that is not there is one line, and the daemon goes on', async () => {
    const home = join(dir, 'home2')
    const config = join(dir, 'wrong.toml')
    await writeFile(config, ['[daemon]', 'listen = "127.0.0.2:0"', 'api = "127.0.0.1:0"', '',
      '[transmission]', `rpc = "${tr.rpcUrl}"`, 'username = "me"', 'password = "guess"', 'poll = 1', ''].join('\n'))
    const d = daemon(config, home)
    const e = await d.next('transmission:error', 30_000)
    expect(String(e['reason'])).to.match(/refused the username and password \(401\)/)
    expect(await d.next('daemon', 30_000)).to.include({ torrents: 0 })
    const status = await runSeedpay(['status'], { SEEDPAY_HOME: home })
    expect(status.code, status.stderr).to.equal(0)
    await d.stop()

    const port = await freePort('127.0.0.1')
    await writeFile(config, ['[daemon]', 'listen = "127.0.0.2:0"', 'api = "127.0.0.1:0"', '',
      '[transmission]', `rpc = "http://127.0.0.1:${port}/transmission/rpc"`, 'poll = 1', ''].join('\n'))
    const down = daemon(config, home)
    expect(String((await down.next('transmission:error', 30_000))['reason'])).to.match(/cannot connect \(ECONNREFUSED\)/)
    expect(await down.next('daemon', 30_000)).to.include({ torrents: 0 })
  })
})
