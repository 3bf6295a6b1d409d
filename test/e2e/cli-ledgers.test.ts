/**
 * One ledger per (network, account): the README's paid flow in two terminals on one machine used to share
 * `~/.seedpay/ledger-local.sqlite`, and every connection ended in `payment:refused code=internal`
 * (ChannelRoleMismatchError). Real CLI processes, a real anvil, a SEEDPAY_HOME of the test's own.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { createTorrentFile } from '../../agent/swarm/index.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { runSeedpay } from '../helpers/cli.ts'
import { addressOfKey as addr, startCliChain, type CliChain } from '../../devtools/chain/cli-chain.ts'

const E18 = 10n ** 18n

describe('seedpay CLI: one ledger per account', function () {
  this.timeout(120_000)
  let local: CliChain
  let dir: string
  let home: string
  let chainArgs: string[]
  const savedHome = process.env['SEEDPAY_HOME']
  const children: SeedpayChild[] = []
  const accounts = { payer: ANVIL_KEYS[2], seeder: ANVIL_KEYS[3], other: ANVIL_KEYS[5] }
  const keyFile = (name: keyof typeof accounts): string => join(dir, `${name}.key`)

  /** A random file and its .torrent; returns [torrent, data dir]. */
  async function share (name: string): Promise<[string, string]> {
    const data = join(dir, `data-${name}`)
    await mkdir(data, { recursive: true })
    await writeFile(join(data, `${name}.bin`), randomBytes(1024 * 1024))
    const torrent = join(dir, `${name}.torrent`)
    await writeFile(torrent, await createTorrentFile(join(data, `${name}.bin`), { pieceLength: 64 * 1024 }))
    return [torrent, data]
  }

  function spawn (args: string[]): SeedpayChild {
    const child = new SeedpayChild(args)
    children.push(child)
    return child
  }

  async function seeder (torrent: string, data: string, who: keyof typeof accounts, extra: string[] = []): Promise<{ child: SeedpayChild, peer: string, ledger: string }> {
    const child = spawn(['seed', torrent, '--data', data, '--price', '0.01', ...chainArgs, '--key-file', keyFile(who), ...extra])
    const payments = await child.next('payments', 30_000)
    const listening = await child.next('listening', 30_000)
    return { child, peer: `127.0.0.1:${String(listening['port'])}`, ledger: String(payments['ledger']) }
  }

  function channels (path: string): Array<{ role: string, payer: string, payee: string, bytes: bigint }> {
    const ledger = new Ledger({}, { path })
    try {
      return ledger.channels().map(c => ({ role: c.role, payer: c.key.payer, payee: c.key.payee, bytes: c.newest?.bytes ?? 0n }))
    } finally {
      ledger.close()
    }
  }

  before(async function () {
    this.timeout(60_000)
    dir = await mkdtemp(join(tmpdir(), 'seedpay-ledgers-'))
    local = await startCliChain(dir)
    home = join(dir, 'home')
    process.env['SEEDPAY_HOME'] = home
    chainArgs = local.args
    for (const [name, key] of Object.entries(accounts)) await local.keyFile(name, key)
    for (const who of ['payer', 'seeder'] as const) {
      await local.chain.mintTestBTT(addr(accounts[who]), 100n * E18)
      const r = await runSeedpay(['deposit', '50', ...chainArgs, '--key-file', keyFile(who)])
      expect(r.code, r.stderr).to.equal(0)
    }
  })

  afterEach(async () => { await Promise.all(children.splice(0).map(async c => await c.kill())) })

  after(async () => {
    if (savedHome === undefined) delete process.env['SEEDPAY_HOME']
    else process.env['SEEDPAY_HOME'] = savedHome
    await local?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('a seeder and a downloader with their own keys and no --ledger each get their own file, and the download is paid', async () => {
    const [torrent, data] = await share('a')
    const seed = await seeder(torrent, data, 'seeder')
    expect(seed.ledger).to.equal(join(home, `ledger-local-${addr(accounts.seeder)}.sqlite`))
    const out = join(dir, 'out-a')
    const get = spawn(['get', torrent, '--out', out, '--peer', seed.peer, '--max-price', '0.02', ...chainArgs, '--key-file', keyFile('payer')])
    const payments = await get.next('payments', 30_000)
    expect(payments['ledger']).to.equal(join(home, `ledger-local-${addr(accounts.payer)}.sqlite`))
    await get.next('paid', 60_000)
    expect(await get.exited, get.stderr).to.equal(0)
    expect(get.stderr).to.not.match(/ChannelRoleMismatch|internal/)
    expect(Buffer.compare(await readFile(join(out, 'a.bin')), await readFile(join(data, 'a.bin')))).to.equal(0)
    expect(await seed.child.stop(), seed.child.stderr).to.equal(0)
    // (a session opens both directions of a pair; the one nobody paid in stays at 0)
    expect(channels(seed.ledger).filter(c => c.bytes > 0n)).to.deep.equal([{ role: 'payee', payer: addr(accounts.payer), payee: addr(accounts.seeder), bytes: 1048576n }])
    expect(channels(String(payments['ledger'])).filter(c => c.bytes > 0n)).to.deep.equal([{ role: 'payer', payer: addr(accounts.payer), payee: addr(accounts.seeder), bytes: 1048576n }])
  })

  it('refuses, in one line with exit 2, a second account pointed at a ledger another account holds', async () => {
    const [torrent, data] = await share('b')
    const shared = join(dir, 'shared.sqlite')
    const seed = await seeder(torrent, data, 'seeder', ['--ledger', shared])
    const r = await runSeedpay(['get', torrent, '--out', join(dir, 'out-b'), '--peer', seed.peer, '--max-price', '0.02', ...chainArgs, '--key-file', keyFile('payer'), '--ledger', shared])
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.match(new RegExp(`^error: the ledger ${shared.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} belongs to account ${addr(accounts.seeder)}, not ${addr(accounts.payer)}`))
    expect(r.stderr).to.match(/drop --ledger/)
    expect(r.stderr).to.not.match(/\n\s+at /)
    expect(existsSync(join(dir, 'out-b', 'b.bin'))).to.equal(false)
    // the seeder's books are untouched by the refused process
    expect(channels(shared)).to.deep.equal([])
  })

  it('one account seeds for pay and downloads for pay at the same time, in one ledger', async () => {
    const [torrentA, dataA] = await share('c')
    const [torrentB, dataB] = await share('d')
    const seed = await seeder(torrentA, dataA, 'seeder')
    const other = await seeder(torrentB, dataB, 'other')
    const payerGet = spawn(['get', torrentA, '--out', join(dir, 'out-c'), '--peer', seed.peer, '--max-price', '0.02', ...chainArgs, '--key-file', keyFile('payer')])
    const seederGet = spawn(['get', torrentB, '--out', join(dir, 'out-d'), '--peer', other.peer, '--max-price', '0.02', ...chainArgs, '--key-file', keyFile('seeder')])
    const [mine] = await Promise.all([seederGet.next('payments', 30_000), payerGet.next('paid', 60_000), seederGet.next('paid', 60_000)])
    expect(await payerGet.exited, payerGet.stderr).to.equal(0)
    expect(await seederGet.exited, seederGet.stderr).to.equal(0)
    expect(mine['ledger']).to.equal(seed.ledger)
    await seed.child.stop()
    await other.child.stop()
    const rows = channels(seed.ledger).filter(c => c.bytes > 0n).map(c => `${c.role} ${c.payer}→${c.payee}`).sort()
    expect(rows).to.deep.equal([
      `payee ${addr(accounts.payer)}→${addr(accounts.seeder)}`,
      `payer ${addr(accounts.seeder)}→${addr(accounts.other)}`
    ].sort())
  })
})
