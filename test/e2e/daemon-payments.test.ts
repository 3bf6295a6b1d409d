/**
 * A charging daemon on the local chain: one payment agent, one ledger and one settlement scheduler for every
 * torrent it sells. Two paying `seedpay get`s of two paid torrents and one of a free torrent in the same daemon;
 * SIGINT settles both payers in its shutdown settlement, and the escrow pays the seeder what its ledger holds.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Wallet } from 'ethers'
import type { EvmChain } from '../../agent/chain/index.ts'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { amountFor, formatBtt, toAddress } from '../../agent/pay/index.ts'
import { createTorrentFile, parseTorrentBuffer } from '../../agent/swarm/index.ts'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { chromium } from 'playwright-core'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { runSeedpay } from '../helpers/cli.ts'
import { startLocalEscrow, type LocalEscrow } from '../helpers/local-escrow.ts'

const E18 = 10n ** 18n
/** Debian's chromium (scripts/ensure-clients.sh installs it); playwright-core never downloads a browser. */
const CHROMIUM = '/usr/bin/chromium'
/** Where the dashboard's screenshots are kept (CI keeps the folder as an artifact; git ignores it). */
const ARTIFACTS = join(fileURLToPath(new URL('../..', import.meta.url)), 'test-artifacts')

describe('seedpay daemon: charging for several torrents through one payment agent', function () {
  this.timeout(180_000)
  let net: LocalEscrow
  let chain: EvmChain
  let dir: string
  const previousHome = process.env['SEEDPAY_HOME']
  const children: SeedpayChild[] = []
  const seederKey = ANVIL_KEYS[3]
  const seeder = toAddress(new Wallet(seederKey).address)
  const payerKeys = [ANVIL_KEYS[4], ANVIL_KEYS[5]]
  const payers = payerKeys.map(k => toAddress(new Wallet(k).address))
  let chainArgs: string[]
  const keyFiles: string[] = []
  let data: string
  const sizes = { p1: 3 * 1024 * 1024, p2: 2 * 1024 * 1024 + 4321, free: 1024 * 1024, p3: 512 * 1024 }
  const files: Record<string, string> = {}
  let ledgerPath: string
  let config: string

  before(async () => {
    net = await startLocalEscrow()
    chain = net.chain
    dir = await mkdtemp(join(tmpdir(), 'seedpay-daemon-pay-'))
    process.env['SEEDPAY_HOME'] = join(dir, 'home')
    chainArgs = net.chainArgs
    for (const [i, key] of [seederKey, ...payerKeys].entries()) {
      const file = join(dir, `key${i}`)
      await writeFile(file, `${key}\n`, { mode: 0o600 })
      keyFiles.push(file)
    }
    for (const [i, payer] of payers.entries()) {
      await chain.mintTestBTT(payer, 10n * E18)
      const r = await runSeedpay(['deposit', '5', ...chainArgs, '--key-file', keyFiles[i + 1]!])
      expect(r.code, r.stderr).to.equal(0)
    }
    data = join(dir, 'data')
    await mkdir(data)
    for (const [name, size] of Object.entries(sizes)) {
      await writeFile(join(data, `${name}.bin`), randomBytes(size))
      files[name] = join(dir, `${name}.torrent`)
      await writeFile(files[name], await createTorrentFile(join(data, `${name}.bin`), { pieceLength: 256 * 1024 }))
    }
    ledgerPath = join(dir, 'seeder.sqlite')
    config = join(dir, 'config.toml')
    await writeFile(config, [
      '[daemon]', 'listen = "127.0.0.2:0"', 'api = "127.0.0.1:0"', '',
      '[payments]', 'price = "0.01"', `rpc = "${net.anvil.url}"`, `escrow = "${net.dep.escrow.hex}"`, `key-file = "${keyFiles[0]!}"`, `ledger = "${ledgerPath}"`, 'free-slots = 0', '',
      '[[torrent]]', `file = "${files['p1']!}"`, 'data = "data"', '',
      '[[torrent]]', `file = "${files['p2']!}"`, 'data = "data"', 'price = "0.015"', '',
      '[[torrent]]', `file = "${files['free']!}"`, 'data = "data"', 'paid = false', ''
    ].join('\n'))
  })
  afterEach(async () => { await Promise.all(children.splice(0).map(async c => await c.stop())) })
  after(async () => {
    if (previousHome === undefined) delete process.env['SEEDPAY_HOME']
    else process.env['SEEDPAY_HOME'] = previousHome
    await net?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('sells two torrents and gives a third away on one port; SIGINT settles every payer from one ledger', async () => {
    const daemon = new SeedpayChild(['daemon', '--config', config])
    children.push(daemon)
    expect(await daemon.next('payments', 30_000)).to.include({ role: 'payee', account: seeder, pricePerMiB: '0.01', freeSlots: 0 })
    const started = await daemon.next('daemon', 30_000)
    expect(started).to.include({ torrents: 3, seeding: 3, charging: true })
    const listen = String(started['listen'])

    const get = (torrent: string, i: number, host: string): SeedpayChild => {
      const c = new SeedpayChild(['get', torrent, '--out', join(dir, `out-${i}-${host}`), '--peer', listen, '--host', host, '--max-price', '0.02', ...chainArgs, '--key-file', keyFiles[i + 1]!, '--ledger', join(dir, `payer-${host}.sqlite`)])
      children.push(c)
      return c
    }
    const g1 = get(files['p1']!, 0, '127.0.0.3')
    const g2 = get(files['p2']!, 1, '127.0.0.4')
    // a paying downloader of the free torrent: the daemon speaks no seedpay there, so it pays nothing
    const g3 = get(files['free']!, 0, '127.0.0.5')
    const paid = await Promise.all([g1, g2, g3].map(async g => await g.next('paid', 60_000)))
    for (const g of [g1, g2, g3]) expect(await g.exited, g.stderr).to.equal(0)
    for (const [g, name] of [[0, 'p1'], [1, 'p2'], [0, 'free']] as const) {
      const host = ['127.0.0.3', '127.0.0.4', '127.0.0.5'][name === 'p1' ? 0 : name === 'p2' ? 1 : 2]!
      expect((await readFile(join(dir, `out-${g}-${host}`, `${name}.bin`))).equals(await readFile(join(data, `${name}.bin`))), name).to.equal(true)
    }
    const channels = paid.map(p => p['channels'] as Array<{ payee: string, bytes: string }>)
    expect(channels[0]).to.deep.include({ payee: seeder, bytes: String(sizes.p1), amount: '0.03' })
    // p2 has its own price in the config: 0.015 BTT/MiB, not [payments]' 0.01
    expect(channels[1]![0]).to.include({ payee: seeder, bytes: String(sizes.p2), amount: formatBtt(amountFor(BigInt(sizes.p2), 15n * E18 / 1000n)) })
    const listed = await runSeedpay(['list', '--json'])
    expect(listed.code, listed.stderr).to.equal(0)
    const byName = new Map((JSON.parse(listed.stdout) as { torrents: Array<{ name: string, pricePerMiB: string | null, paidBytes: number, earned: string }> }).torrents.map(t => [t.name, t]))
    // what was served to payers (a block sent twice in the endgame counts twice) at each torrent's price
    expect(byName.get('p1.bin')).to.include({ pricePerMiB: '0.01' })
    expect(byName.get('p1.bin')!.paidBytes).to.be.at.least(sizes.p1)
    expect(Number(byName.get('p1.bin')!.earned)).to.be.at.least(0.03)
    expect(byName.get('p2.bin')).to.include({ pricePerMiB: '0.015' })
    expect(byName.get('p2.bin')!.paidBytes).to.be.at.least(sizes.p2)
    expect(byName.get('free.bin')).to.include({ pricePerMiB: null, earned: '0' })
    // one more, added at its own terms while the daemon runs
    const added = await runSeedpay(['add', files['p3']!, '--data', data, '--price', '0.005', '--free-slots', '2', '--json'])
    expect(added.code, added.stderr).to.equal(0)
    const p3 = JSON.parse(added.stdout) as { infoHash: string }
    expect(p3).to.include({ name: 'p3.bin', state: 'seeding', pricePerMiB: '0.005', freeSlots: 2 })
    const state = JSON.parse(await readFile(join(dir, 'home', 'daemon', 'state.json'), 'utf8')) as { added: Array<Record<string, unknown>> }
    expect(state.added).to.have.length(1)
    expect(state.added[0]).to.include({ price: '0.005', freeSlots: 2, paid: true })
    const removed = await runSeedpay(['remove', p3.infoHash])
    expect(removed.code, removed.stderr).to.equal(0)
    // the free torrent's downloader paid nothing
    expect(paid[2]!).to.include({ spent: '0' })
    expect(channels[2]).to.deep.equal([])

    // scraped as Prometheus would, with the token: what was earned and on which torrent
    const token = (await readFile(join(dir, 'home', 'daemon', 'api-token'), 'utf8')).trim()
    const scraped = await fetch(new URL('/metrics', String(started['api'])), { headers: { authorization: `Bearer ${token}` } })
    expect(scraped.status).to.equal(200)
    expect(scraped.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/)
    const families = new Map(parsePrometheusTextFormat(await scraped.text()).map(f => [f.name, f]))
    const value = (name: string, labels: Record<string, string> = {}): number => {
      const f = families.get(name)
      expect(f, name).to.not.equal(undefined)
      const m = f!.metrics.find(s => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v))
      expect(m, `${name} ${JSON.stringify(labels)}`).to.not.equal(undefined)
      return Number(m!.value)
    }
    const hashOf = async (name: string): Promise<string> => (await parseTorrentBuffer(await readFile(files[name]!))).infoHash
    expect(value('seedpay_torrent_uploaded_bytes_total', { info_hash: await hashOf('p1') })).to.be.at.least(sizes.p1)
    expect(value('seedpay_torrent_uploaded_bytes_total', { info_hash: await hashOf('free') })).to.be.at.least(sizes.free)
    expect(value('seedpay_torrents', { state: 'seeding' })).to.equal(3)
    expect(value('seedpay_receipts_total', { role: 'payee' })).to.be.greaterThan(1)
    // 0.01 BTT/MiB for 3 MiB and 0.015 for 2 MiB + 4321 bytes, not settled yet: all of it unsettled
    const earned = 0.03 + 0.015 * (sizes.p2 / 1048576)
    expect(value('seedpay_earned_btt', { network: 'local' })).to.be.closeTo(earned, 1e-6)
    expect(value('seedpay_unsettled_btt', { network: 'local' })).to.be.closeTo(earned, 1e-6)
    expect(value('seedpay_payers', { network: 'local' })).to.equal(2)
    expect(families.get('seedpay_torrents')?.type).to.equal('GAUGE')
    expect(families.get('seedpay_receipts_total')?.type).to.equal('COUNTER')
    const unauthorized = await fetch(new URL('/metrics', String(started['api'])))
    expect(unauthorized.status).to.equal(401)

    const before = await chain.tokenBalanceOf(seeder)
    expect(await daemon.stop(), daemon.stderr).to.equal(0)
    const ledger = new Ledger({}, { path: ledgerPath })
    try {
      let held = 0n
      for (const [i, payer] of payers.entries()) {
        const ch = ledger.channels().find(c => c.role === 'payee' && c.key.payer === payer && c.key.payee === seeder)
        expect(ch?.newest?.bytes, `payer ${i}`).to.equal(BigInt(i === 0 ? sizes.p1 : sizes.p2))
        expect(await chain.paidOut(payer, seeder)).to.equal(ch!.newest!.amount)
        held += ch!.newest!.amount
      }
      expect(await chain.tokenBalanceOf(seeder) - before).to.equal(held)
    } finally {
      ledger.close()
    }
  })

  it('the dashboard in Chromium: it loads with no console error, shows the torrents, and a payment arriving within seconds', async () => {
    const daemon = new SeedpayChild(['daemon', '--config', config])
    children.push(daemon)
    const started = await daemon.next('daemon', 30_000)
    const printed = await runSeedpay(['dashboard', '--json'])
    expect(printed.code, printed.stderr).to.equal(0)
    const url = (JSON.parse(printed.stdout) as { url: string }).url
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/)

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      // a phone's width: the page must not scroll sideways
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
      const problems: string[] = []
      page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`) })
      page.on('pageerror', e => { problems.push(`page error: ${e.message}`) })
      await page.goto(url)
      // logged in by cookie: the token is gone from the address bar
      expect(page.url()).to.equal(new URL('/', url).href)
      await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 10_000 })
      for (const name of ['p1.bin', 'p2.bin', 'free.bin']) await page.locator('#torrents tbody', { hasText: name }).waitFor({ timeout: 10_000 })
      const earned = async (): Promise<number> => Number((await page.locator('.card', { hasText: 'earned' }).locator('.v').textContent())?.replace(' BTT', ''))
      const before = await earned()
      // what the first test's payers paid is in the ledger already
      // (shown to 6 decimals)
    expect(before).to.be.closeTo(0.03 + 0.015 * (sizes.p2 / 1048576), 1e-6)

      const get = new SeedpayChild(['get', files['p1']!, '--out', join(dir, 'dash-out'), '--peer', String(started['listen']), '--host', '127.0.0.8', '--max-price', '0.02', ...chainArgs, '--key-file', keyFiles[2]!, '--ledger', join(dir, 'payer-dash.sqlite')])
      children.push(get)
      const t0 = Date.now()
      const deadline = t0 + 15_000
      while (await earned() <= before) {
        if (Date.now() > deadline) throw new Error('no payment shown within 15 s')
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      expect(await get.exited, get.stderr).to.equal(0)
      await page.locator('#payers tbody tr').nth(1).waitFor({ timeout: 5_000 })
      // its swarm: a click on a torrent lists its peers
      await page.locator('#torrents tbody tr', { hasText: 'p1.bin' }).click()
      await page.locator('#swarm-title', { hasText: 'p1.bin' }).waitFor({ timeout: 5_000 })
      const width = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth])
      expect(width[0], 'no sideways scrolling on a phone').to.be.at.most(width[1]!)
      await mkdir(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true })
      await page.setViewportSize({ width: 1280, height: 900 })
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true })
      expect(problems).to.deep.equal([])
      // without the cookie or the token: 401, and the page says what to do
      const stranger = await browser.newPage()
      const res = await stranger.goto(new URL('/', url).href)
      expect(res?.status()).to.equal(401)
    } finally {
      await browser.close()
    }
  })
})
