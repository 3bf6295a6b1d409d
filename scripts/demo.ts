/**
 * npm run demo — seedpay end to end on this machine, with no arguments:
 * a local chain (anvil, chain id = Nile) with TestBTT + BandwidthEscrow; three payers funded with a hot signing
 * key each; a 32 MiB torrent; a seeder agent (payee) and three leecher agents (payers), each a TorrentEngine with
 * a PaymentAgent and its own SQLite ledger, over TCP on 127.0.0.1. The leechers pay per verified piece; a payer
 * asks for its money back and the seeder's watchtower cashes its receipts at once; the seeder shuts down and its
 * scheduler settles the rest in one settleBatch; the audit rebuilds every payout from events and matches it
 * with the seeder's ledger. Exits 0, or prints one line and exits 1.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { JsonRpcProvider, Wallet, getAddress } from 'ethers'
import { startAnvil, ANVIL_KEYS, deployLocal, EvmChain, type Anvil } from '../agent/chain/index.ts'
import { DEFAULT_CREDIT, type Address } from '../agent/pay/index.ts'
import { createTorrentFile, parseTorrentBuffer } from '../agent/swarm/index.ts'
import { SettlementScheduler, defaultMinAmount, type SettlementEvents } from '../agent/settle/index.ts'
import { auditPayee, auditTable, reconcile } from '../agent/audit/index.ts'
import { table, btt, short, mib } from './demo/table.ts'
import { makePeer, type DemoPeer } from './demo/peers.ts'

const E18 = 10n ** 18n
/** 0.01 BTT per MiB. */
const PRICE = E18 / 100n
const FILE_BYTES = 32 * 1024 * 1024
const PIECE_LENGTH = 256 * 1024
const DEPOSIT = 100n * E18
/**
 * Bytes the seeder serves ahead of payment: the 4 MiB default. Paying leechers keep what they owe within half
 * of it (their download policy), so the seeder never has to choke them.
 */
const CREDIT = DEFAULT_CREDIT
/**
 * Settle a pair on the timer once it owes this much. 1 BTT is more than a 32 MiB download is worth here, so the
 * watchtower and the shutdown flush do the settling (deterministically); the energy-derived default, meant for
 * mainnet prices, is printed for comparison.
 */
const MIN_AMOUNT = E18
/** The whole demo must finish well inside this; past it, it fails with one line. */
const DEADLINE_MS = 90_000

class DemoError extends Error {}

const tty = process.stdout.isTTY === true
const say = (text: string): void => { process.stdout.write(text + '\n') }
const step = (text: string): void => { say(`\n▶ ${text}`) }
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

async function within<T> (ms: number, what: string, p: Promise<T>): Promise<T> {
  let t: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { t = setTimeout(() => reject(new DemoError(`${what} did not happen within ${seconds(ms)}`)), ms) })
  try { return await Promise.race([p, timeout]) } finally { clearTimeout(t) }
}

async function main (): Promise<void> {
  const started = Date.now()
  const logger = pino({ level: process.env['SEEDPAY_DEMO_LOG'] ?? 'silent' }, pino.destination(2))
  const dir = await mkdtemp(join(tmpdir(), 'seedpay-demo-'))
  const peers: DemoPeer[] = []
  let anvil: Anvil | undefined
  let provider: JsonRpcProvider | undefined
  let scheduler: SettlementScheduler | undefined
  let cleaned: Promise<void> | undefined
  const cleanup = async (): Promise<void> => {
    cleaned ??= (async () => {
      clearTimeout(deadline)
      await scheduler?.stop().catch(() => undefined)
      for (const p of peers) { await p.stop().catch(() => undefined); p.close() }
      provider?.destroy()
      await anvil?.stop()
      await rm(dir, { recursive: true, force: true })
    })()
    await cleaned
  }
  const abort = (err: Error, code: number): void => { cleanup().catch(() => undefined).finally(() => { fail(err, code) }) }
  const deadline = setTimeout(() => { abort(new DemoError(`the demo took longer than ${seconds(DEADLINE_MS)}`), 1) }, DEADLINE_MS)
  process.once('SIGINT', () => { abort(new DemoError('interrupted'), 130) })
  // a closed pipe (`npm run demo | head`) must still stop anvil and the agents
  process.stdout.on('error', (err: Error) => { abort(new DemoError(`cannot write the output: ${err.message}`), 1) })
  try {
    step('Local chain: anvil with chain id 3448148188 (Nile), so receipts signed here are the ones Nile accepts')
    anvil = await startAnvil()
    provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 })
    const wallets = ANVIL_KEYS.map(k => new Wallet(k, provider))
    const [deployer, seederWallet] = [wallets[0]!, wallets[1]!]
    const payerWallets = [wallets[2]!, wallets[3]!, wallets[4]!]
    const hotWallets = [wallets[5]!, wallets[6]!, wallets[7]!]
    const deployment = await deployLocal(deployer, { chainId: anvil.chainId })
    const domain = { chainId: anvil.chainId, escrow: deployment.escrow.hex }
    const connect = async (w: Wallet): Promise<EvmChain> => await EvmChain.create({ provider: provider!, signer: w }, { escrow: domain.escrow, chainId: domain.chainId })
    const seederChain = await connect(seederWallet)
    const payerChains = await Promise.all(payerWallets.map(connect))
    say(`  ${anvil.url}\n  TestBTT         ${deployment.token.hex}\n  BandwidthEscrow ${deployment.escrow.hex} (withdrawal delay 24 h)`)

    step('Three payers: mint TestBTT, approve, deposit 100 BTT each, and name a hot key that signs receipts (setSigner)')
    await Promise.all(payerChains.map(async (c, i) => {
      await c.mintTestBTT(c.account!, DEPOSIT)
      await c.approve(DEPOSIT)
      await c.deposit(DEPOSIT)
      await c.setSigner(hotWallets[i]!.address)
    }))
    const names = ['A', 'B', 'C'] as const
    const nameOf = (a: string): string => names[payerChains.findIndex(pc => pc.account!.toLowerCase() === a.toLowerCase())] ?? short(a)
    say(table(['payer', 'account', 'in escrow', 'hot signer'], payerChains.map((c, i) => [names[i]!, short(c.account!), btt(DEPOSIT), short(hotWallets[i]!.address)])))

    step(`A torrent of a random ${FILE_BYTES / 1048576} MiB file`)
    const seedDir = join(dir, 'seeder', 'data')
    await writeFileIn(seedDir, 'seedpay-demo.bin', randomBytes(FILE_BYTES))
    const torrent = await parseTorrentBuffer(await createTorrentFile(join(seedDir, 'seedpay-demo.bin'), { pieceLength: PIECE_LENGTH }))
    say(`  ${torrent.name}: ${torrent.pieceCount} pieces of ${PIECE_LENGTH / 1024} KiB, info hash ${torrent.infoHash}`)

    step('The seeder (payee) charges 0.01 BTT/MiB and serves up to 4 MiB ahead of payment; its scheduler settles on a threshold, on shutdown, and when its watchtower sees a withdrawal')
    const seeder = makePeer({ logger, chain: seederChain }, {
      name: 'seeder', dir: join(dir, 'seeder'), domain, torrent, account: seederWallet.address, signingKey: seederWallet.privateKey,
      pricePerMiB: PRICE, maxPricePerMiB: PRICE, credit: CREDIT, dataDir: seedDir
    })
    peers.push(seeder)
    await seeder.engine.start()
    scheduler = new SettlementScheduler({ logger, ledger: seeder.ledger, chain: seederChain }, {
      payee: seeder.account, minAmount: MIN_AMOUNT, intervalMs: 250, pollMs: 100, fromBlock: deployment.escrowBlock
    })
    const events = recordEvents(scheduler)
    await scheduler.start()
    say(`  listening on ${seeder.engine.address}; account ${getAddress(seeder.account)}`)
    say(`  threshold ${btt(MIN_AMOUNT)} per pair (the energy-derived default, 57,000 energy × 210 sun × 0.3 BTT/sun × 10, is ${btt(defaultMinAmount())})`)

    step('Three leechers (payers) download over TCP, each paying a receipt per verified piece')
    const leechers = payerWallets.map((w, i) => makePeer({ logger, chain: seederChain }, {
      name: `leecher ${names[i]!}`, dir: join(dir, `leecher-${names[i]!}`), domain, torrent, account: w.address, signingKey: hotWallets[i]!.privateKey,
      pricePerMiB: PRICE, maxPricePerMiB: PRICE, dataDir: join(dir, `leecher-${names[i]!}`, 'data'), peers: [seeder.engine.address]
    }))
    peers.push(...leechers)
    const progress = trackProgress(seeder, leechers)
    const t0 = Date.now()
    const done = leechers.map(async l => await new Promise<void>(resolve => l.engine.once('done', () => resolve())))
    await Promise.all(leechers.map(async l => { await l.engine.start() }))
    await within(Number(process.env['SEEDPAY_DEMO_DOWNLOAD_MS'] ?? 45_000), 'the downloads', Promise.all(done))
    await new Promise(resolve => setTimeout(resolve, 200)) // let the last receipts land
    progress.stop()
    const took = Date.now() - t0
    say(`  ${mib(BigInt(FILE_BYTES * 3))} verified in ${seconds(took)} (${(FILE_BYTES * 3 / 1048576 / (took / 1000)).toFixed(0)} MiB/s); every byte checked against its piece's SHA-1 before it was paid for`)
    const paidRows = leechers.map((l, i) => {
      const key = { chainId: domain.chainId, escrow: domain.escrow.toLowerCase() as Address, payer: l.account, payee: seeder.account }
      const signed = l.ledger.newest(key)
      const held = seeder.ledger.newest(key)
      return [names[i]!, mib(signed?.bytes ?? 0n), btt(signed?.amount ?? 0n), String(seeder.ledger.history(key).length), mib(held?.bytes ?? 0n), btt(held?.amount ?? 0n)]
    })
    say(table(['payer', 'signed for', 'signed amount', 'receipts held', 'seeder holds', 'held amount'], paidRows))
    if (paidRows.some(r => r[1] !== r[4])) {
      say('  (the seeder holds less than a leecher signed: a receipt was still in flight when the connection closed;\n   the seeder\'s exposure is bounded by the credit it granted)')
    }
    for (const e of events.confirmed.filter(e => e.reason === 'threshold')) {
      say(`  threshold reached during the download → ${e.batch ? 'settleBatch' : 'settle'} ${short(e.txId)}: ${e.entries.map(x => `${nameOf(x.payer)} ${btt(e.paid.get(x.payer) ?? 0n)}`).join(', ')}`)
    }

    step('Payer C asks for its money back (requestWithdrawal): the watchtower cashes C\'s receipts at once, a day before C could withdraw')
    const c = payerChains[2]!
    const watched = nextEvent(scheduler, 'settle:confirmed', e => e.reason === 'watchtower')
    const seenP = nextEvent(scheduler, 'watchtower:withdrawal')
    const requested = Date.now()
    const request = await c.requestWithdrawal(DEPOSIT)
    const seen = await within(10_000, 'the watchtower\'s reaction', seenP)
    const unlockAt = new Date(Number(seen.unlockAt) * 1000)
    say(`  block ${request.blockNumber}: WithdrawalRequested(C, ${btt(seen.amount)}, unlocks ${unlockAt.toISOString().slice(0, 16).replace('T', ' ')} UTC)`)
    if (seen.unsettled > 0n) {
      const settled = await within(10_000, 'the watchtower\'s settlement', watched)
      say(`  watchtower: C owes ${btt(seen.unsettled)} unsettled → settle ${short(settled.txId)} paid ${btt(settled.total)}, ${seconds(Date.now() - requested)} after the request`)
    } else {
      say('  watchtower: C owes nothing unsettled; nothing to do')
    }

    step('Everyone stops; the seeder\'s scheduler settles what is left in one settleBatch (settlement on shutdown)')
    for (const l of leechers) await l.stop()
    await seeder.stop()
    const flush = await within(20_000, 'the shutdown settlement', scheduler.stop())
    scheduler = undefined
    if (flush.failed.length > 0) throw new DemoError(`settlement on shutdown failed for ${flush.failed.length} payer(s): ${events.failed.at(-1)?.error.message ?? ''}`)
    const batch = events.confirmed.find(e => e.reason === 'shutdown')
    if (batch === undefined) throw new DemoError('the scheduler settled nothing on shutdown')
    const mined = await provider.getTransactionReceipt(batch.txId)
    say(`  ${batch.batch ? 'settleBatch' : 'settle'} ${short(batch.txId)}: ${batch.entries.length} payers, ${btt(batch.total)} in one token transfer, ${mined?.gasUsed.toLocaleString('en-US') ?? '?'} gas`)
    say(table(['payer', 'receipt', 'paid before', 'paid now'], batch.entries.map(e => [
      nameOf(e.payer), `${mib(e.bytes)} / ${btt(e.amount)}`, btt(e.paidBefore), btt(batch.paid.get(e.payer) ?? 0n)
    ])))

    step('Audit: every pair rebuilt from the escrow\'s events alone (Settled, batch records, Bounced) and matched with the seeder\'s ledger')
    const report = await auditPayee({ chain: seederChain, ledger: seeder.ledger }, seeder.account, { fromBlock: deployment.escrowBlock })
    say(auditTable(report).split('\n').map(l => '  ' + l).join('\n'))
    const payerAudits = await Promise.all(leechers.map(async l => await reconcile({ chain: seederChain, ledger: l.ledger }, { payer: l.account }, { fromBlock: deployment.escrowBlock })))
    say(`  each payer's own ledger against the chain: ${payerAudits.map((a, i) => `${names[i]!} ${a.ok ? '✓' : '✗'}`).join('  ')}`)
    if (!report.ok || payerAudits.some(a => !a.ok)) throw new DemoError(`the audit found ${report.mismatches.length + payerAudits.reduce((n, a) => n + a.mismatches.length, 0)} mismatch(es)`)
    say('  audit: matched ✓')

    step('Balances')
    const rows = [['seeder', seeder.account, await seederChain.tokenBalanceOf(seeder.account), 0n, 0n] as const]
    const balances = await Promise.all(payerChains.map(async (pc, i) => [`payer ${names[i]!}`, pc.account!, await pc.tokenBalanceOf(pc.account!), await pc.balanceOf(pc.account!), (await pc.pendingWithdrawal(pc.account!)).amount] as const))
    say(table(['who', 'account', 'wallet', 'in escrow', 'withdrawing'], [...rows, ...balances].map(([who, a, wallet, escrow, out]) => [who, short(a), btt(wallet), who === 'seeder' ? '' : btt(escrow), who === 'seeder' ? '' : btt(out)])))
    say(`  escrow holds ${btt(await seederChain.tokenBalanceOf(deployment.escrow.hex))} = Σ payer balances ${btt(balances.reduce((s, b) => s + b[3], 0n))}`)

    say(`\n✔ Demo complete in ${seconds(Date.now() - started)}: ${btt(report.totals.paid)} paid for ${mib(report.totals.bytes)} of verified bandwidth; audit matched ✓`)
  } finally {
    await cleanup()
  }
}

async function writeFileIn (dir: string, name: string, data: Buffer): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, name), data)
}

function recordEvents (s: SettlementScheduler): { confirmed: Array<SettlementEvents['settle:confirmed']>, failed: Array<SettlementEvents['settle:failed']> } {
  const out = { confirmed: [] as Array<SettlementEvents['settle:confirmed']>, failed: [] as Array<SettlementEvents['settle:failed']> }
  s.on('settle:confirmed', e => out.confirmed.push(e))
  s.on('settle:failed', e => out.failed.push(e))
  return out
}

async function nextEvent<K extends keyof SettlementEvents & string> (s: SettlementScheduler, name: K, accept: (e: SettlementEvents[K]) => boolean = () => true): Promise<SettlementEvents[K]> {
  return await new Promise(resolve => {
    const fn = (e: SettlementEvents[K]): void => { if (accept(e)) { s.off(name, fn); resolve(e) } }
    s.on(name, fn)
  })
}

/** A live progress line: verified bytes, receipts the seeder holds, what they are worth. */
function trackProgress (seeder: DemoPeer, leechers: DemoPeer[]): { stop: () => void } {
  const newest = new Map<string, bigint>()
  let receipts = 0
  seeder.payments.on('receipt:received', ({ peerId, receipt }) => { receipts++; newest.set(peerId ?? '', receipt.amount) })
  const total = FILE_BYTES * leechers.length
  let lastShown = -1
  const render = (final: boolean): void => {
    const verified = leechers.reduce((s, l) => s + l.engine.stats().verifiedBytes, 0)
    const owed = [...newest.values()].reduce((s, a) => s + a, 0n)
    const line = `  ⇣ ${mib(BigInt(verified))} / ${mib(BigInt(total))} verified · ${receipts} receipts · ${btt(owed)} in receipts`
    if (tty) { process.stdout.write(`\r\x1b[K${line}${final ? '\n' : ''}`); return }
    const quarter = Math.floor(verified / total * 4)
    if (quarter > lastShown) { lastShown = quarter; say(line) }
  }
  const timer = setInterval(() => render(false), 200)
  return { stop: () => { clearInterval(timer); render(true) } }
}

let failed = false
function fail (err: unknown, code = 1): void {
  if (failed) return
  failed = true
  const message = err instanceof Error ? err.message.split('\n')[0]! : String(err)
  process.stderr.write(`\n✘ demo failed: ${message}\n`)
  process.exit(code)
}

main().then(() => { process.exit(0) }, (err: unknown) => { fail(err) })
