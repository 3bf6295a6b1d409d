/**
 * The whole picture of issue 13 in one run, on real parts: a charging daemon beside a running Debian
 * transmission-daemon sells three torrents on one port — one from its config, one imported from Transmission at its
 * own price, one that an ordinary aria2c (found through a tracker) takes in the free slots — to two paying
 * `seedpay get`s; SIGINT settles both payers, each at the price of the torrent it bought, from one ledger.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Wallet } from 'ethers'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { amountFor, formatBtt, toAddress } from '../../agent/pay/index.ts'
import { createTorrentFile } from '../../agent/swarm/index.ts'
import { Aria2Client, TransmissionClient, startJsTracker, stopAllProcesses, freePort, type JsTracker } from '../../devtools/clients/index.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { runSeedpay } from '../helpers/cli.ts'
import { startLocalEscrow, type LocalEscrow } from '../helpers/local-escrow.ts'

const E18 = 10n ** 18n

describe('seedpay daemon beside Transmission: three torrents, two payers, aria2c, one ledger', function () {
  this.timeout(180_000)
  let net: LocalEscrow
  let tracker: JsTracker
  let dir: string
  const previousHome = process.env['SEEDPAY_HOME']
  const children: SeedpayChild[] = []
  const tr = new TransmissionClient({ rpcAuth: { username: 'me', password: 'pw' } })
  const seederKey = ANVIL_KEYS[6]
  const seeder = toAddress(new Wallet(seederKey).address)
  const payerKeys = [ANVIL_KEYS[7], ANVIL_KEYS[8]]
  const payers = payerKeys.map(k => toAddress(new Wallet(k).address))
  const sizes = { own: 3 * 1024 * 1024 + 17, imported: 2 * 1024 * 1024 + 9, open: 1024 * 1024 + 3 }
  const files: Record<string, string> = {}

  before(async () => {
    net = await startLocalEscrow()
    dir = await mkdtemp(join(tmpdir(), 'seedpay-beside-tr-'))
    process.env['SEEDPAY_HOME'] = join(dir, 'home')
    tracker = await startJsTracker({ intervalMs: 1000 })
    for (const [i, key] of [seederKey, ...payerKeys].entries()) await writeFile(join(dir, `key${i}`), `${key}\n`, { mode: 0o600 })
    for (const [i, payer] of payers.entries()) {
      await net.chain.mintTestBTT(payer, 10n * E18)
      const r = await runSeedpay(['deposit', '5', ...net.chainArgs, '--key-file', join(dir, `key${i + 1}`)])
      expect(r.code, r.stderr).to.equal(0)
    }
    await mkdir(join(dir, 'data'))
    await mkdir(join(dir, 'transmission'))
    for (const [name, size] of Object.entries(sizes)) {
      const path = join(dir, name === 'imported' ? 'transmission' : 'data', `${name}.bin`)
      await writeFile(path, randomBytes(size))
      files[name] = join(dir, `${name}.torrent`)
      await writeFile(files[name], await createTorrentFile(path, { pieceLength: 128 * 1024, ...(name === 'open' ? { announce: [tracker.httpUrl] } : {}) }))
    }
    // Transmission holds `imported`, complete, in its own folder
    await tr.start(files['imported']!, join(dir, 'transmission'), { host: '127.0.0.9', port: await freePort('127.0.0.9') })
    await tr.waitForComplete({ timeoutMs: 30_000 })
  })
  afterEach(async () => { await Promise.all(children.splice(0).map(async c => await c.stop())) })
  after(async () => {
    await tr.stop()
    await stopAllProcesses()
    await tracker?.close()
    if (previousHome === undefined) delete process.env['SEEDPAY_HOME']
    else process.env['SEEDPAY_HOME'] = previousHome
    await net?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('sells its own torrent at [payments]\' price and Transmission\'s at its own, serves aria2c in a free slot, and SIGINT settles both payers', async () => {
    const ledgerPath = join(dir, 'seeder.sqlite')
    const config = join(dir, 'config.toml')
    await writeFile(config, [
      '[daemon]', 'listen = "127.0.0.2:0"', 'api = "127.0.0.1:0"', '',
      '[payments]', 'price = "0.01"', `rpc = "${net.anvil.url}"`, `escrow = "${net.dep.escrow.hex}"`, 'key-file = "key0"', `ledger = "${ledgerPath}"`, 'free-slots = 2', '',
      '[transmission]', `rpc = "${tr.rpcUrl}"`, 'username = "me"', 'password = "pw"', 'poll = 1', 'price = "0.02"', '',
      '[[torrent]]', `file = "${files['own']!}"`, 'data = "data"', '',
      '[[torrent]]', `file = "${files['open']!}"`, 'data = "data"', ''
    ].join('\n'))
    const transmissionFiles = (await readdir(join(dir, 'transmission'))).sort()
    const daemon = new SeedpayChild(['daemon', '--config', config])
    children.push(daemon)
    const started = await daemon.next('daemon', 30_000)
    const listen = String(started['listen'])
    // the imported torrent may come with the first poll or the next
    const deadline = Date.now() + 30_000
    let listed: Array<{ name: string, state: string, source: string, pricePerMiB: string | null }> = []
    while (!listed.some(t => t.name === 'imported.bin' && t.state === 'seeding')) {
      if (Date.now() > deadline) throw new Error(`imported.bin never seeded: ${JSON.stringify(listed)}`)
      await new Promise(resolve => setTimeout(resolve, 250))
      const r = await runSeedpay(['list', '--json'])
      listed = (JSON.parse(r.stdout) as { torrents: typeof listed }).torrents
    }
    expect(listed.map(t => [t.name, t.source, t.pricePerMiB]).sort()).to.deep.equal([
      ['imported.bin', 'transmission', '0.02'], ['open.bin', 'config', '0.01'], ['own.bin', 'config', '0.01']
    ])

    const get = (torrent: string, i: number, host: string): SeedpayChild => {
      const c = new SeedpayChild(['get', torrent, '--out', join(dir, `out-${host}`), '--peer', listen, '--host', host, '--max-price', '0.05',
        ...net.chainArgs, '--key-file', join(dir, `key${i + 1}`), '--ledger', join(dir, `payer-${host}.sqlite`)])
      children.push(c)
      return c
    }
    const aria = new Aria2Client()
    await mkdir(join(dir, 'aria'))
    const g1 = get(files['own']!, 0, '127.0.0.3')
    const g2 = get(files['imported']!, 1, '127.0.0.4')
    try {
      await aria.start(files['open']!, join(dir, 'aria'), { host: '127.0.0.5', port: await freePort('127.0.0.5'), seed: false })
      const paid = await Promise.all([g1, g2].map(async g => await g.next('paid', 60_000)))
      for (const g of [g1, g2]) expect(await g.exited, g.stderr).to.equal(0)
      expect(paid[0]!['channels']).to.deep.equal([{ payee: seeder, bytes: String(sizes.own), amount: formatBtt(amountFor(BigInt(sizes.own), E18 / 100n)) }])
      expect(paid[1]!['channels']).to.deep.equal([{ payee: seeder, bytes: String(sizes.imported), amount: formatBtt(amountFor(BigInt(sizes.imported), E18 / 50n)) }])
      await aria.waitForComplete({ timeoutMs: 60_000 })
    } finally {
      await aria.stop()
    }
    for (const [out, name, from] of [['out-127.0.0.3', 'own', 'data'], ['out-127.0.0.4', 'imported', 'transmission'], ['aria', 'open', 'data']] as const) {
      expect((await readFile(join(dir, out, `${name}.bin`))).equals(await readFile(join(dir, from, `${name}.bin`))), name).to.equal(true)
    }
    // nothing written into Transmission's folder
    expect((await readdir(join(dir, 'transmission'))).sort()).to.deep.equal(transmissionFiles)

    const before = await net.chain.tokenBalanceOf(seeder)
    expect(await daemon.stop(), daemon.stderr).to.equal(0)
    const ledger = new Ledger({}, { path: ledgerPath })
    try {
      let held = 0n
      for (const [i, payer] of payers.entries()) {
        const ch = ledger.channels().find(c => c.role === 'payee' && c.key.payer === payer && c.key.payee === seeder)
        const [bytes, price] = i === 0 ? [sizes.own, E18 / 100n] : [sizes.imported, E18 / 50n]
        expect(ch?.newest).to.include({ bytes: BigInt(bytes), amount: amountFor(BigInt(bytes), price) })
        expect(await net.chain.paidOut(payer, seeder)).to.equal(ch!.newest!.amount)
        held += ch!.newest!.amount
      }
      expect(await net.chain.tokenBalanceOf(seeder) - before).to.equal(held)
    } finally {
      ledger.close()
    }
  })
})
