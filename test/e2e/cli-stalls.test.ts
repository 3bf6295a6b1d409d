import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Signature, Wallet } from 'ethers'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { channelKey, toAddress } from '../../agent/pay/index.ts'
import { createTorrentFile, parseTorrentBuffer } from '../../agent/swarm/index.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { signTypedReceipt } from '../helpers/anvil.ts'
import { runSeedpay } from '../helpers/cli.ts'
import { startCliChain, type CliChain } from '../../devtools/chain/cli-chain.ts'

const E18 = 10n ** 18n
/** The `stalled: …` line a plain (non --json) run prints on stderr. */
const STALLED_LINE = /^stalled: (.+) — (.+)$/m

/** The error line and hint a `--stall-timeout` run ends with. */
function stallError (stderr: string): { message: string, hint: string } {
  const m = /error: stalled: (.+)\n {2}(.+)\n$/.exec(stderr)
  if (m === null) throw new Error(`no stall error line in: ${stderr}`)
  return { message: m[1]!, hint: m[2]! }
}

/** A peer that completes the BEP 3 handshake and closes at once, as Transmission does to a second connection from one IP. */
async function closingPeer (infoHash: string): Promise<{ server: Server, address: string, handshakes: () => number }> {
  let n = 0
  const server = createServer(socket => {
    socket.once('data', () => {
      n++
      const hs = Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), Buffer.alloc(8), Buffer.from(infoHash, 'hex'), Buffer.from('-TR3000-' + 'x'.repeat(12))])
      socket.end(hs)
    })
    socket.on('error', () => {})
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const a = server.address()
  return { server, address: `127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`, handshakes: () => n }
}

describe('seedpay get: stalls are explained, --stall-timeout ends them (exit 4), signals end every run', function () {
  let dir: string
  let torrent: string
  let infoHash: string
  const children: SeedpayChild[] = []
  const servers: Server[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seedpay-stalls-'))
    await mkdir(join(dir, 'seed'))
    await writeFile(join(dir, 'seed', 'f.bin'), randomBytes(600 * 1024))
    const buf = await createTorrentFile(join(dir, 'seed', 'f.bin'), { pieceLength: 64 * 1024 })
    torrent = join(dir, 'f.torrent')
    await writeFile(torrent, buf)
    infoHash = (await parseTorrentBuffer(buf)).infoHash
  })
  afterEach(async () => {
    await Promise.all(children.splice(0).map(async c => await c.kill()))
    await Promise.all(servers.splice(0).map(async s => await new Promise(resolve => s.close(resolve))))
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('(c) a trackerless torrent without --peer: says so, and --stall-timeout exits 4 with the reason and the hint', async () => {
    const t0 = Date.now()
    const r = await runSeedpay(['get', torrent, '--out', join(dir, 'out-c'), '--stall-timeout', '3'])
    expect(r.code, r.stderr).to.equal(4)
    expect(Date.now() - t0).to.be.lessThan(15_000)
    expect(STALLED_LINE.exec(r.stderr)?.[1]).to.equal('no peers: the torrent has no tracker and no --peer was given')
    const e = stallError(r.stderr)
    expect(e.message).to.equal('no peers: the torrent has no tracker and no --peer was given (--stall-timeout 3)')
    expect(e.hint).to.match(/^pass --peer host:port/)
    expect(r.stderr).to.not.match(/\n\s+at /)
  })

  it('(f) a peer that refuses every connection: "cannot connect … (connection refused)", once, as a stalled JSON event', async () => {
    const get = new SeedpayChild(['get', torrent, '--out', join(dir, 'out-f'), '--peer', '127.0.0.1:1', '--stall-timeout', '14'])
    children.push(get)
    const stalled = await get.next('stalled', 20_000)
    expect(stalled).to.include({ code: 'unreachable', reason: 'cannot connect to 127.0.0.1:1 (connection refused)', hint: 'check the address and that the seeder runs' })
    expect(stalled['peers']).to.deep.equal(['127.0.0.1:1'])
    expect(await get.exited).to.equal(4)
    // the reason did not change: it was printed once
    expect(await get.next('stalled', 10).then(() => 'again', () => 'once')).to.equal('once')
    expect(get.stderr).to.match(/error: stalled: cannot connect to 127\.0\.0\.1:1 \(connection refused\)/)
  })

  it('(e) a peer that closes every connection right after the handshake', async () => {
    const fake = await closingPeer(infoHash)
    servers.push(fake.server)
    const r = await runSeedpay(['get', torrent, '--out', join(dir, 'out-e'), '--peer', fake.address, '--stall-timeout', '8'])
    expect(r.code, r.stderr).to.equal(4)
    expect(fake.handshakes()).to.be.at.least(2)
    expect(STALLED_LINE.exec(r.stderr)?.[1]).to.equal(`${fake.address} closes every connection right after the handshake (Transmission accepts one connection per IP)`)
  })

  it('--out that cannot be made (/proc/x) fails at once with exit 2, instead of spinning', async () => {
    const t0 = Date.now()
    const r = await runSeedpay(['get', torrent, '--out', '/proc/x'])
    expect(r.code).to.equal(2)
    expect(Date.now() - t0).to.be.lessThan(10_000)
    expect(r.stderr).to.match(/^error: cannot create --out \/proc\/x: \/proc\/x \(ENOENT\)\n {2}\S.+\n$/)
  })

  it('SIGTERM and SIGINT end a stalled get promptly (130); a bad --stall-timeout is exit 2', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const get = new SeedpayChild(['get', torrent, '--out', join(dir, 'out-sig'), '--peer', '127.0.0.1:1'])
      children.push(get)
      await get.next('listening', 20_000)
      const t0 = Date.now()
      get.proc.kill(sig)
      expect(await get.exited).to.equal(130)
      expect(Date.now() - t0).to.be.lessThan(5_000)
    }
    const bad = await runSeedpay(['get', torrent, '--out', join(dir, 'out-sig'), '--stall-timeout', 'soon'])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/^error: --stall-timeout must be an integer/)
  })

  describe('on a local chain', function () {
    let local: CliChain
    let chainArgs: string[]
    const payerKey = ANVIL_KEYS[2]
    const seederKey = ANVIL_KEYS[3]
    const payer = toAddress(new Wallet(payerKey).address)
    const seeder = toAddress(new Wallet(seederKey).address)
    let payerKeyFile: string
    let seederKeyFile: string

    before(async function () {
      this.timeout(60_000)
      local = await startCliChain(dir)
      await local.chain.mintTestBTT(payer, 100n * E18)
      payerKeyFile = await local.keyFile('payer', payerKey)
      seederKeyFile = await local.keyFile('seeder', seederKey)
      chainArgs = local.args
      const dep1 = await runSeedpay(['deposit', '10', ...chainArgs, '--key-file', payerKeyFile])
      expect(dep1.code, dep1.stderr).to.equal(0)
    })
    after(async () => { await local?.stop() })

    async function seeder$ (ledger: string, extra: string[] = []): Promise<{ child: SeedpayChild, peer: string }> {
      const child = new SeedpayChild(['seed', torrent, '--data', join(dir, 'seed'), '--price', '0.01', ...chainArgs, '--key-file', seederKeyFile, '--ledger', join(dir, ledger), ...extra])
      children.push(child)
      const listening = await child.next('listening', 30_000)
      return { child, peer: `127.0.0.1:${String(listening['port'])}` }
    }

    it('(a) every seeder charges more than --max-price: says what they ask and what to raise it to', async () => {
      const { peer } = await seeder$('seeder-a.sqlite')
      const r = await runSeedpay(['get', torrent, '--out', join(dir, 'out-a'), '--peer', peer, '--max-price', '0.001', ...chainArgs, '--key-file', payerKeyFile, '--ledger', join(dir, 'payer-a.sqlite'), '--stall-timeout', '5'])
      expect(r.code, r.stderr).to.equal(4)
      expect(STALLED_LINE.exec(r.stderr)?.slice(1)).to.deep.equal([`${peer} charges more than --max-price 0.001 BTT/MiB (it asks 0.01)`, 'raise --max-price to at least 0.01'])
      expect(stallError(r.stderr).hint).to.match(/^raise --max-price to at least 0\.01; then run the same command again/)
    })

    it('(b) a seeder with no free slots and a plain get: the only seeder serves paying peers only — pass --max-price', async () => {
      const { peer } = await seeder$('seeder-b.sqlite', ['--free-slots', '0'])
      const r = await runSeedpay(['get', torrent, '--out', join(dir, 'out-b'), '--peer', peer, '--stall-timeout', '5'])
      expect(r.code, r.stderr).to.equal(4)
      const [message, hint] = STALLED_LINE.exec(r.stderr)?.slice(1) ?? []
      expect(message).to.equal(`the only seeder (${peer}) serves paying peers only`)
      expect(hint).to.match(/^pass --max-price/)
    })

    it('(d) a foreign-resync refusal: the seeder holds a receipt "from us" that none of our keys signed', async () => {
      // the seeder's ledger holds a receipt for our channel signed by a stranger's key
      const ledgerPath = join(dir, 'seeder-d.sqlite')
      const ledger = new Ledger({}, { path: ledgerPath, owner: seeder })
      const domain = { chainId: local.anvil.chainId, escrow: toAddress(local.deployment.escrow.hex) }
      const stranger = new Wallet(Wallet.createRandom().privateKey)
      const sig = await signTypedReceipt(stranger, domain, { payer, payee: seeder, cumulativeBytes: 1048576n, cumulativeAmount: E18 / 100n })
      ledger.record(channelKey(domain, payer, seeder), 'payee', { bytes: 1048576n, amount: E18 / 100n, sig: compact(sig) }, E18 / 100n)
      ledger.close()
      const { peer } = await seeder$('seeder-d.sqlite')
      const r = await runSeedpay(['get', torrent, '--out', join(dir, 'out-d'), '--peer', peer, '--max-price', '0.02', ...chainArgs, '--key-file', payerKeyFile, '--ledger', join(dir, 'payer-d.sqlite'), '--stall-timeout', '5'])
      expect(r.code, r.stderr).to.equal(4)
      expect(STALLED_LINE.exec(r.stderr)?.[1]).to.match(new RegExp(`^${peer.replace(/\./g, '\\.')} was refused: .*\\(foreign-resync\\)$`))
    })

    /** A paid transfer through a seeder whose chain node can be frozen (the proxy stops answering). */
    async function paidSeeder (name: string, extra: string[] = []): Promise<{ seed: SeedpayChild, freeze: () => void }> {
      const proxy = await rpcProxy(local.anvil.url)
      servers.push(proxy.server)
      const seed = new SeedpayChild(['seed', torrent, '--data', join(dir, 'seed'), '--price', '0.01', '--rpc', proxy.url, '--escrow', local.deployment.escrow.hex, '--key-file', seederKeyFile, '--ledger', join(dir, `seeder-${name}.sqlite`), ...extra])
      children.push(seed)
      const listening = await seed.next('listening', 30_000)
      const get = new SeedpayChild(['get', torrent, '--out', join(dir, `out-${name}`), '--peer', `127.0.0.1:${String(listening['port'])}`, '--max-price', '0.02', ...chainArgs, '--key-file', payerKeyFile, '--ledger', join(dir, `payer-${name}.sqlite`)])
      children.push(get)
      await get.next('done', 60_000)
      expect(await get.exited, get.stderr).to.equal(0)
      return { seed, freeze: proxy.freeze }
    }

    it('SIGTERM while the seeder settles on shutdown against a node that stopped answering: exits 1 within the bound, saying how to settle', async () => {
      const { seed, freeze } = await paidSeeder('s1', ['--stop-timeout', '5'])
      freeze()
      const t0 = Date.now()
      seed.proc.kill('SIGTERM')
      const code = await seed.exited
      const took = Date.now() - t0
      expect(code, seed.stderr).to.equal(1)
      expect(took).to.be.within(4_000, 8_000)
      expect(seed.stderr).to.match(/error: still stopping 5 s after SIGTERM; exiting now\n {2}receipts are cumulative, nothing is lost: run `seedpay settle`/)
    })

    it('a second SIGINT while stopping exits at once', async () => {
      const { seed, freeze } = await paidSeeder('s2')
      freeze()
      seed.proc.kill('SIGINT')
      await new Promise(resolve => setTimeout(resolve, 1000))
      const t0 = Date.now()
      seed.proc.kill('SIGINT')
      expect(await seed.exited).to.equal(1)
      expect(Date.now() - t0).to.be.lessThan(1_500)
      expect(seed.stderr).to.match(/error: SIGINT again while stopping; exiting now/)
    })
  })
})

/** ethers' 65-byte signature → the 64-byte EIP-2098 compact form receipts carry. */
function compact (sig: string): Uint8Array {
  return Buffer.from(Signature.from(sig).compactSerialized.slice(2), 'hex')
}

/** A TCP proxy to the chain node; `freeze()` makes it swallow every request from then on (a node that hangs). */
async function rpcProxy (target: string): Promise<{ server: Server, url: string, freeze: () => void }> {
  const { hostname, port } = new URL(target)
  let frozen = false
  const server = createServer(client => {
    const upstream = connect({ host: hostname, port: Number(port) })
    client.on('data', d => { if (!frozen) upstream.write(d) })
    upstream.on('data', d => { if (!frozen) client.write(d) })
    const end = (): void => { client.destroy(); upstream.destroy() }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', () => {})
    upstream.on('error', () => {})
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const a = server.address()
  return { server, url: `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`, freeze: () => { frozen = true } }
}
