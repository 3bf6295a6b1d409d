/**
 * `seed`/`get` listen on every interface unless `--host` narrows it: a seeder bound to 127.0.0.1 (the old
 * default) accepted nobody from another address. Real processes; the second loopback address 127.0.0.2 stands
 * in for "another machine".
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTorrentFile } from '../../agent/swarm/index.ts'
import { formatAddress } from '../../agent/swarm/address.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { runSeedpay } from '../helpers/cli.ts'

describe('seedpay CLI: where seed and get listen', function () {
  this.timeout(60_000)
  let dir: string
  let torrent: string
  const children: SeedpayChild[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seedpay-listen-'))
    await writeFile(join(dir, 'f.bin'), randomBytes(512 * 1024))
    torrent = join(dir, 'f.torrent')
    await writeFile(torrent, await createTorrentFile(join(dir, 'f.bin'), { pieceLength: 64 * 1024 }))
  })
  afterEach(async () => { await Promise.all(children.splice(0).map(async c => await c.kill())) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('listens on every interface by default, so a peer on another address connects', async () => {
    const seed = new SeedpayChild(['seed', torrent, '--data', dir])
    children.push(seed)
    const listening = await seed.next('listening', 30_000)
    expect(listening['host']).to.be.oneOf(['::', '0.0.0.0'])
    const out = join(dir, 'out')
    const get = new SeedpayChild(['get', torrent, '--out', out, '--host', '127.0.0.3', '--peer', `127.0.0.2:${String(listening['port'])}`])
    children.push(get)
    expect(await get.exited, get.stderr).to.equal(0)
    expect(Buffer.compare(await readFile(join(out, 'f.bin')), await readFile(join(dir, 'f.bin')))).to.equal(0)
  })

  it('--host narrows it: a seeder on 127.0.0.1 is not reachable on 127.0.0.2', async () => {
    const seed = new SeedpayChild(['seed', torrent, '--data', dir, '--host', '127.0.0.1'])
    children.push(seed)
    const listening = await seed.next('listening', 30_000)
    expect(listening['host']).to.equal('127.0.0.1')
    const refused = await new Promise<string>(resolve => {
      const sock = connect({ host: '127.0.0.2', port: Number(listening['port']) })
      sock.once('connect', () => { sock.destroy(); resolve('connected') })
      sock.once('error', err => { resolve((err as NodeJS.ErrnoException).code ?? 'error') })
    })
    expect(refused).to.equal('ECONNREFUSED')
  })

  it('a port already taken, or a --host not of this machine, is bad input (2) in one line', async () => {
    const seed = new SeedpayChild(['seed', torrent, '--data', dir, '--host', '127.0.0.1'])
    children.push(seed)
    const listening = await seed.next('listening', 30_000)
    const taken = await runSeedpay(['seed', torrent, '--data', dir, '--host', '127.0.0.1', '--port', String(listening['port'])])
    expect(taken.code, taken.stderr).to.equal(2)
    expect(taken.stderr).to.match(new RegExp(`^error: port ${String(listening['port'])} on 127\\.0\\.0\\.1 is already in use\n  pick another --port`))
    const foreign = await runSeedpay(['seed', torrent, '--data', dir, '--host', '192.0.2.1'])
    expect(foreign.code, foreign.stderr).to.equal(2)
    expect(foreign.stderr).to.match(/^error: cannot listen on 192\.0\.2\.1\n {2}pass an address of this machine with --host\n$/)
  })

  it('names an IPv4 peer of a dual-stack listener by its IPv4 address', () => {
    expect(formatAddress('::ffff:127.0.0.2', 6881)).to.equal('127.0.0.2:6881')
    expect(formatAddress('::1', 6881)).to.equal('[::1]:6881')
    expect(formatAddress('127.0.0.2', 6881)).to.equal('127.0.0.2:6881')
  })
})
