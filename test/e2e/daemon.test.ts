/**
 * `seedpay daemon` as a person runs it: a real process with a config file, many torrents on one port, driven by
 * `seedpay status | list | add | remove | pause | resume` over its API; downloaded by `seedpay get` and aria2c;
 * killed with -9 and restarted; and every bad input (config, second daemon, busy port, no token) in one line.
 */
import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTorrentFile, parseTorrentBuffer } from '../../agent/swarm/index.ts'
import { Aria2Client, startJsTracker, stopAllProcesses, freePort, type JsTracker } from '../../devtools/clients/index.ts'
import { SeedpayChild, type JsonEvent } from '../../devtools/seedpay-child.ts'
import { runSeedpay } from '../helpers/cli.ts'

const run = promisify(execFile)

interface Listed { infoHash: string, name: string, state: string, paid: boolean, source: string, error?: string, uploaded: number }

describe('seedpay daemon: many torrents beside the user\'s client', function () {
  this.timeout(120_000)
  let dir: string
  let home: string
  let tracker: JsTracker
  const previousHome = process.env['SEEDPAY_HOME']
  const torrents: Record<'a' | 'b' | 'c', { file: string, data: string, infoHash: string, name: string }> = {} as never
  const children: SeedpayChild[] = []
  let config: string

  const cli = async (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> => await runSeedpay(args, { SEEDPAY_HOME: home })
  const listed = async (): Promise<Listed[]> => {
    const r = await cli(['list', '--json'])
    expect(r.code, r.stderr).to.equal(0)
    return (JSON.parse(r.stdout) as { torrents: Listed[] }).torrents
  }
  const eventually = async (check: () => Promise<boolean>, ms = 15_000): Promise<void> => {
    const deadline = Date.now() + ms
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms`)
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  }
  function daemon (args: string[] = []): SeedpayChild {
    const c = new SeedpayChild(['daemon', '--config', config, ...args])
    children.push(c)
    return c
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seedpay-daemon-'))
    home = join(dir, 'home')
    await mkdir(home)
    // the daemon child inherits this process's environment (SeedpayChild), so its home is set here
    process.env['SEEDPAY_HOME'] = home
    tracker = await startJsTracker({ intervalMs: 1000 })
    const data = join(dir, 'data')
    await mkdir(join(data, 'bdir'), { recursive: true })
    const make = async (key: 'a' | 'b' | 'c', path: string, size: number, announce: string[] = []): Promise<void> => {
      await writeFile(path, randomBytes(size))
      const buf = await createTorrentFile(path, { pieceLength: 64 * 1024, ...(announce.length > 0 ? { announce } : {}) })
      const file = join(dir, `${key}.torrent`)
      await writeFile(file, buf)
      const meta = await parseTorrentBuffer(buf)
      torrents[key] = { file, data, infoHash: meta.infoHash, name: meta.name }
    }
    await make('a', join(data, 'a.bin'), 3 * 1024 * 1024 + 5)
    await make('b', join(data, 'b.bin'), 2 * 1024 * 1024 + 77, [tracker.httpUrl])
    await make('c', join(data, 'c.bin'), 1024 * 1024 + 3)
    config = join(dir, 'config.toml')
    await writeFile(config, [
      '[daemon]', 'listen = "127.0.0.2:0"', 'api = "127.0.0.1:0"', 'log-level = "debug"', '',
      '[[torrent]]', `file = "${torrents.a.file}"`, 'data = "data"', '',
      '[[torrent]]', `file = "${torrents.b.file}"`, `data = "${join(data, 'b.bin')}"`, '',
      '[[torrent]]', 'file = "gone.torrent"', 'data = "data"', ''
    ].join('\n'))
  })

  afterEach(async () => { await Promise.all(children.splice(0).map(async c => await c.stop())) })
  after(async () => {
    await stopAllProcesses()
    await tracker?.close()
    if (previousHome === undefined) delete process.env['SEEDPAY_HOME']
    else process.env['SEEDPAY_HOME'] = previousHome
    await rm(dir, { recursive: true, force: true })
  })

  it('seeds its config torrents on one port to `seedpay get` and aria2c, takes one more with `seedpay add`, and says which it cannot serve', async () => {
    const d = daemon()
    const unloaded: JsonEvent[] = []
    const started = await d.next('daemon', 30_000)
    unloaded.push(await d.next('torrent:error', 5_000))
    expect(started).to.include({ torrents: 2, seeding: 2, charging: false })
    expect(String(unloaded[0]!['reason'])).to.match(/gone\.torrent \(ENOENT\)/)
    const listen = String(started['listen'])

    const status = await cli(['status'])
    expect(status.code, status.stderr).to.equal(0)
    expect(status.stdout).to.match(/2 of 2 torrents seeding/).and.match(/not loaded: .*gone\.torrent/)

    // two downloads of two torrents from the one port at once, and aria2c (which finds the daemon through the tracker)
    const getA = new SeedpayChild(['get', torrents.a.file, '--out', join(dir, 'getA'), '--peer', listen, '--host', '127.0.0.3'])
    const getB = new SeedpayChild(['get', torrents.b.file, '--out', join(dir, 'getB'), '--peer', listen, '--host', '127.0.0.4'])
    children.push(getA, getB)
    const aria = new Aria2Client()
    const ariaDir = join(dir, 'aria')
    await mkdir(ariaDir)
    try {
      await aria.start(torrents.b.file, ariaDir, { host: '127.0.0.5', port: await freePort('127.0.0.5'), seed: false })
      expect(await getA.exited, getA.stderr).to.equal(0)
      expect(await getB.exited, getB.stderr).to.equal(0)
      await aria.waitForComplete({ timeoutMs: 60_000 })
    } finally {
      await aria.stop()
    }
    for (const [out, key] of [[join(dir, 'getA'), 'a'], [join(dir, 'getB'), 'b'], [ariaDir, 'b']] as const) {
      expect((await readFile(join(out, `${key}.bin`))).equals(await readFile(join(torrents[key].data, `${key}.bin`))), `${out} ${key}`).to.equal(true)
    }

    const noData = await cli(['add', torrents.c.file, '--data', join(dir, 'nowhere')])
    expect(noData.code).to.equal(2)
    expect(noData.stderr.split('\n')[0]).to.equal(`error: ${join(dir, 'nowhere')} holds no "c.bin"`)
    // a price or free slots on a daemon that charges nothing: one line, nothing added
    const priced = await cli(['add', torrents.c.file, '--data', torrents.c.data, '--price', '0.001'])
    expect(priced.code).to.equal(2)
    expect(priced.stderr).to.equal('error: price needs a charging daemon: this one has no [payments] and seeds everything for free\n  leave price out, or add [payments] to the config and restart\n')
    const both = await cli(['add', torrents.c.file, '--data', torrents.c.data, '--free', '--price', '0.001'])
    expect(both.code).to.equal(2)
    expect(both.stderr.split('\n')[0]).to.equal('error: --free gives the torrent away: --price has nothing to do')
    const badPrice = await cli(['add', torrents.c.file, '--data', torrents.c.data, '--price', '-1'])
    expect(badPrice.code).to.equal(2)
    expect(badPrice.stderr.split('\n')[0]).to.equal('error: --price "-1" is negative')
    const added = await cli(['add', torrents.c.file, '--data', torrents.c.data, '--free'])
    expect(added.code, added.stderr).to.equal(0)
    expect(added.stdout).to.match(new RegExp(`^added ${torrents.c.infoHash} +c\\.bin .* seeding +free`))
    const again = await cli(['add', torrents.c.file, '--data', torrents.c.data])
    expect(again.code).to.equal(1)
    expect(again.stderr).to.equal(`error: torrent ${torrents.c.infoHash} ("c.bin") is already in the daemon\n  nothing to do; \`seedpay list\` shows it\n`)
    const getC = new SeedpayChild(['get', torrents.c.file, '--out', join(dir, 'getC'), '--peer', listen, '--host', '127.0.0.6'])
    children.push(getC)
    expect(await getC.exited, getC.stderr).to.equal(0)

    const all = await listed()
    expect(all.map(t => [t.name, t.state, t.source])).to.deep.equal([['a.bin', 'seeding', 'config'], ['b.bin', 'seeding', 'config'], ['c.bin', 'seeding', 'api']])
    expect(all.find(t => t.name === 'b.bin')!.uploaded).to.be.at.least(2 * (2 * 1024 * 1024 + 77))
  })

  it('pause and remove last across a kill -9: the restarted daemon comes back with every torrent as it was', async () => {
    const d = daemon()
    await d.next('daemon', 30_000)
    expect((await listed()).map(t => t.name)).to.deep.equal(['a.bin', 'b.bin', 'c.bin'])
    const paused = await cli(['pause', torrents.c.infoHash])
    expect(paused.code, paused.stderr).to.equal(0)
    expect(paused.stdout).to.match(/^paused .* paused /)
    const removed = await cli(['remove', torrents.a.infoHash])
    expect(removed.code, removed.stderr).to.equal(0)
    const gone = await cli(['remove', torrents.a.infoHash])
    expect(gone.code).to.equal(2)
    expect(gone.stderr.split('\n')[0]).to.equal(`error: no torrent ${torrents.a.infoHash} in the daemon`)

    d.proc.kill('SIGKILL')
    await d.exited
    const back = daemon()
    const started = await back.next('daemon', 30_000)
    expect(started).to.include({ torrents: 2, seeding: 1 })
    expect((await listed()).map(t => [t.name, t.state])).to.deep.equal([['b.bin', 'seeding'], ['c.bin', 'paused']])
    // a paused torrent is not served: its connections are closed before they reach it
    const resumed = await cli(['resume', torrents.c.infoHash])
    expect(resumed.stdout).to.match(/^resumed .* seeding /)
    const added = await cli(['add', torrents.a.file, '--data', torrents.a.data])
    expect(added.code, added.stderr).to.equal(0)
    expect((await listed()).map(t => [t.name, t.state])).to.deep.equal([['b.bin', 'seeding'], ['c.bin', 'seeding'], ['a.bin', 'seeding']])
  })

  it('refuses a second daemon on the same home, and its API answers 401 without the token', async () => {
    const d = daemon()
    const started = await d.next('daemon', 30_000)
    const second = await runSeedpay(['daemon', '--config', config], { SEEDPAY_HOME: home })
    expect(second.code).to.equal(1)
    expect(second.stderr).to.match(/^error: another seedpay daemon \(pid \d+\) already runs on .*daemon\.pid\n {2}stop it first/)
    const url = new URL('/api/v1/torrents', String(started['api']))
    for (const auth of [undefined, 'Bearer nope', 'Basic abc']) {
      const r = await new Promise<{ status: number, body: string }>((resolve, reject) => {
        const req = request(url, { headers: auth === undefined ? {} : { authorization: auth } }, res => {
          let body = ''
          res.on('data', (c: Buffer) => { body += c.toString() })
          res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
        })
        req.on('error', reject)
        req.end()
      })
      expect(r.status, String(auth)).to.equal(401)
      expect(JSON.parse(r.body)).to.have.nested.property('error.code', 'unauthorized')
    }
    const token = (await readFile(join(home, 'daemon', 'api-token'), 'utf8')).trim()
    expect(token).to.match(/^[0-9a-f]{64}$/)
    // the stream endpoint: a player's Range request into a torrent's file, with the token (curl, as a person would)
    const fileUrl = new URL(`/api/v1/torrents/${torrents.a.infoHash}/files/0`, String(started['api'])).href
    const ranged = await run('curl', ['-s', '-D', '-', '-H', `Authorization: Bearer ${token}`, '-r', '1000-1999', fileUrl], { encoding: 'buffer' })
    const split = ranged.stdout.indexOf('\r\n\r\n')
    expect(ranged.stdout.subarray(0, split).toString()).to.match(/^HTTP\/1\.1 206 [\s\S]*content-range: bytes 1000-1999\/3145733/i)
    expect(ranged.stdout.subarray(split + 4).equals((await readFile(join(dir, 'data', 'a.bin'))).subarray(1000, 2000))).to.equal(true)
    const noFile = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Authorization: Bearer ${token}`, fileUrl.replace(/\/0$/, '/5')])
    expect(noFile.stdout).to.equal('404')
    const noToken = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', fileUrl])
    expect(noToken.stdout).to.equal('401')
    const bad = await cli(['pause', 'xyz'])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.equal('error: "xyz" is not an info hash\n  give the 40 hex digits `seedpay list` shows\n')
  })

  it('a broken config, a busy port, no daemon: one line each, and nothing is written', async () => {
    const cases: Array<[string, RegExp]> = [
      ['[daemon]\nlisten = 6881\n', /: daemon\.listen Invalid input: expected string, received number\n {2}fix daemon\.listen/],
      ['[daemon]\nlisen = "127.0.0.1:0"\n', /: daemon unknown key "lisen"\n {2}check the spelling/],
      ['[payments]\nnetwork = "local"\n', /: payments\.price is required\n/],
      ['[[torrent]]\nfile = "x.torrent"\ndata = "d"\nprize = "1"\n', /: torrent\[0\] unknown key "prize"/],
      ['[[torrent]]\nfile = "x.torrent"\ndata = "d"\nprice = "1"\n', /: torrent\[0\]\.price needs a \[payments\] table/],
      ['[daemon\n', /is not valid TOML at line 1/]
    ]
    for (const [text, want] of cases) {
      const path = join(dir, 'bad.toml')
      await writeFile(path, text)
      const r = await runSeedpay(['daemon', '--config', path], { SEEDPAY_HOME: home })
      expect(r.code, text).to.equal(2)
      expect(r.stderr, text).to.match(want).and.match(/^error: config /)
      expect(r.stderr.split('\n').filter(l => l !== '')).to.have.length(2)
      expect(await readFile(path, 'utf8')).to.equal(text)
    }
    const missing = await runSeedpay(['daemon', '--config', join(dir, 'none.toml')], { SEEDPAY_HOME: home })
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.match(/does not exist\n {2}write one with `seedpay config init`/)

    const busy = createServer()
    await new Promise<void>(resolve => { busy.listen(0, '127.0.0.2', resolve) })
    const port = (busy.address() as { port: number }).port
    const busyConfig = join(dir, 'busy.toml')
    await writeFile(busyConfig, `[daemon]\nlisten = "127.0.0.2:${port}"\napi = "127.0.0.1:0"\n`)
    try {
      const r = await runSeedpay(['daemon', '--config', busyConfig], { SEEDPAY_HOME: home })
      expect(r.code).to.equal(2)
      expect(r.stderr).to.equal(`error: 127.0.0.2:${port} (daemon.listen) is already in use\n  pick another port for daemon.listen in the config, or stop what holds it\n`)
    } finally {
      busy.close()
    }
    // the refused starts left no lock behind, and no daemon answers
    const none = await cli(['list'])
    expect(none.code).to.equal(1)
    expect(none.stderr).to.match(/^error: (no seedpay daemon is running here|cannot reach the seedpay daemon)/)

    const init = join(dir, 'fresh', 'config.toml')
    const made = await runSeedpay(['config', 'init', '--config', init], { SEEDPAY_HOME: home })
    expect(made.code, made.stderr).to.equal(0)
    const again = await runSeedpay(['config', 'init', '--config', init], { SEEDPAY_HOME: home })
    expect(again.code).to.equal(2)
    expect(again.stderr).to.match(/already exists/)
    // the template is a valid config: a daemon starts from it (with the ports moved off the defaults)
    const template = (await readFile(init, 'utf8')).replace('"0.0.0.0:6881"', '"127.0.0.2:0"').replace('"127.0.0.1:7373"', '"127.0.0.1:0"')
    await writeFile(init, template)
    const fromTemplate = new SeedpayChild(['daemon', '--config', init])
    children.push(fromTemplate)
    // (with the torrents this home's state holds: the API's additions outlive a config change)
    expect(await fromTemplate.next('daemon', 30_000)).to.include({ torrents: 2, seeding: 2, charging: false })
  })

  it('seeds what is dropped into its watch folder, stops when the file goes, and says which data does not match', async () => {
    const watch = join(dir, 'watch')
    const wdata = join(dir, 'wdata')
    await mkdir(watch)
    await mkdir(wdata)
    const make = async (name: string, size: number): Promise<{ buf: Buffer, infoHash: string }> => {
      await writeFile(join(wdata, name), randomBytes(size))
      const buf = Buffer.from(await createTorrentFile(join(wdata, name), { pieceLength: 64 * 1024 }))
      return { buf, infoHash: (await parseTorrentBuffer(buf)).infoHash }
    }
    const d = await make('d.bin', 700_000)
    const e = await make('e.bin', 300_000)
    // e's data changes after its torrent was made: none of its pieces match any more
    await writeFile(join(wdata, 'e.bin'), randomBytes(300_000))
    const wconfig = join(dir, 'watch.toml')
    await writeFile(wconfig, ['[daemon]', 'listen = "127.0.0.2:0"', 'api = "127.0.0.1:0"', '', '[watch]', 'folder = "watch"', 'data = "wdata"', 'poll = 1', ''].join('\n'))
    const c = new SeedpayChild(['daemon', '--config', wconfig])
    children.push(c)
    const started = await c.next('daemon', 30_000)
    const watched = async (): Promise<Array<[string, string]>> => (await listed()).filter(t => t.source === 'watch').map(t => [t.name, t.state])
    expect(await watched()).to.deep.equal([])

    await writeFile(join(watch, 'd.torrent'), d.buf)
    await writeFile(join(watch, 'e.torrent'), e.buf)
    const bad = await c.next('torrent:error', 15_000)
    expect(bad).to.include({ file: join(watch, 'e.torrent') })
    expect(String(bad['reason'])).to.equal(`none of the ${Math.ceil(300_000 / 65536)} pieces of "e.bin" match the data under ${wdata}`)
    await eventually(async () => JSON.stringify(await watched()) === JSON.stringify([['d.bin', 'seeding'], ['e.bin', 'error']]))
    const get = new SeedpayChild(['get', join(watch, 'd.torrent'), '--out', join(dir, 'getD'), '--peer', String(started['listen']), '--host', '127.0.0.9'])
    children.push(get)
    expect(await get.exited, get.stderr).to.equal(0)
    expect((await readFile(join(dir, 'getD', 'd.bin'))).equals(await readFile(join(wdata, 'd.bin')))).to.equal(true)

    await rm(join(watch, 'd.torrent'))
    await eventually(async () => JSON.stringify(await watched()) === JSON.stringify([['e.bin', 'error']]))
  })
})
