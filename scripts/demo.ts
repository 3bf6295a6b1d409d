/**
 * npm run demo — seedpay end to end on this machine, with no arguments:
 * a local chain (anvil, chain id = Nile) with TestBTT + BandwidthEscrow (`npm run demo -- --network local-bttc`:
 * anvil with BitTorrent Chain's chain id 199 and the NativeBandwidthEscrow, BTT as the chain's coin); three payers funded with a hot signing
 * key each and a fourth with almost nothing; a 32 MiB torrent; a seeder agent (payee) and four leecher agents
 * (payers), each a TorrentEngine whose payments createPayments builds (as `seedpay seed`/`get` do), with its own
 * SQLite ledger, over TCP on 127.0.0.1. Two payers reserve the lane the seeder asks for; one pays from its free
 * balance and is settled whenever what it owes reaches what the seeder trusts; the under-funded one is served only
 * what its deposit backs and refused the rest. A payer asks for its money back and the watchtower cashes its
 * receipts at once; the seeder shuts down and settles the rest in one settleBatch; the audit rebuilds every payout
 * and lane from events and matches it with the ledgers and the chain. Exits 0, or prints one line and exits 1.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { JsonRpcProvider, Wallet, getAddress } from 'ethers'
import { EvmChain } from '../agent/chain/index.ts'
import { startAnvil, ANVIL_KEYS, deployLocal, depositTestFunds, type Anvil } from '../devtools/chain/index.ts'
import { BTTC_CHAIN_ID, channelKey, DEFAULT_CREDIT, NILE_CHAIN_ID, priceText, type ChannelKey } from '../agent/pay/index.ts'
import { createTorrentFile, parseTorrentBuffer } from '../agent/swarm/index.ts'
import {
  defaultMinAmount, settlementCost, BATCH_RECEIPT_ENERGY, DEFAULT_COST_RATIO, TRON_SUN_PER_ENERGY, TRON_TOKEN_PER_SUN,
  type SettlementScheduler, type SettlementEvents
} from '../agent/settle/index.ts'
import { settleWarning } from '../agent/cli/settle-warning.ts'
import { bytesText } from '../agent/cli/event-text.ts'
import { auditPayee, auditTable, reconcile } from '../agent/audit/index.ts'
import { table, btt, short, mib } from './demo/table.ts'
import { makePeer, type DemoPeer } from './demo/peers.ts'

const E18 = 10n ** 18n

/** The chains the demo runs on: the TRON stand-in (TRC-20 TestBTT) or the BitTorrent Chain stand-in (native BTT). */
const DEMO_NETWORKS = {
  local: { chainId: NILE_CHAIN_ID, asset: 'token', chain: 'anvil with chain id 3448148188 (Nile), so receipts signed here are the ones Nile accepts' },
  'local-bttc': { chainId: BTTC_CHAIN_ID, asset: 'native', chain: 'anvil with chain id 199 (BitTorrent Chain), BTT as the chain\'s own coin, held by the NativeBandwidthEscrow' }
} as const
type DemoNetwork = keyof typeof DEMO_NETWORKS

/** `--network <name>` (default local); anything else is a usage error (exit 2). */
function demoNetwork (argv: readonly string[]): DemoNetwork {
  if (argv.length === 0) return 'local'
  const name = argv[0] === '--network' ? argv[1] : argv[0]?.startsWith('--network=') === true ? argv[0].slice('--network='.length) : undefined
  if (name !== undefined && argv.length <= (argv[0] === '--network' ? 2 : 1) && Object.hasOwn(DEMO_NETWORKS, name)) return name as DemoNetwork
  throw new UsageError(`usage: npm run demo [-- --network ${Object.keys(DEMO_NETWORKS).join('|')}] (got ${argv.join(' ')})`)
}
/** 0.01 BTT per MiB. */
const PRICE = E18 / 100n
const FILE_BYTES = 32 * 1024 * 1024
const PIECE_LENGTH = 256 * 1024
const DEPOSIT = 100n * E18
/** Payer D deposits only 0.05 BTT: 5 MiB at the seeder's price. */
const D_DEPOSIT = E18 / 20n
/** The lane the seeder asks each payer for: more than the file costs (0.32 BTT), so a lane covers it all. */
const WANT_LANE = E18 / 2n
/** How much of a payer's unreserved balance the seeder trusts: 10 MiB at its price. */
const EXPOSURE = E18 / 10n
/**
 * Bytes the seeder serves ahead of payment: the default credit (a payer starts at 4 MiB and earns the rest by paying). Paying leechers keep what they owe within half
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
class UsageError extends DemoError {}

const tty = process.stdout.isTTY === true
const say = (text: string): void => { process.stdout.write(text + '\n') }
const step = (text: string): void => { say(`\n▶ ${text}`) }
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

async function within<T> (ms: number, what: string, p: Promise<T>): Promise<T> {
  let t: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { t = setTimeout(() => reject(new DemoError(`${what} did not happen within ${seconds(ms)}`)), ms) })
  try { return await Promise.race([p, timeout]) } finally { clearTimeout(t) }
}

/** Asks `probe` every 100 ms until it answers; past `ms`, fails with one line. */
async function until<T> (ms: number, what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const answer = await probe()
    if (answer !== undefined) return answer
    if (Date.now() > end) throw new DemoError(`${what} did not happen within ${seconds(ms)}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

async function main (): Promise<void> {
  const network = DEMO_NETWORKS[demoNetwork(process.argv.slice(2))]
  const native = network.asset === 'native'
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
    step(`Local chain: ${network.chain}`)
    anvil = await startAnvil({ chainId: network.chainId })
    provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 })
    const wallets = ANVIL_KEYS.map(k => new Wallet(k, provider))
    const [deployer, seederWallet] = [wallets[0]!, wallets[1]!]
    const payerWallets = [wallets[2]!, wallets[3]!, wallets[4]!]
    const hotWallets = [wallets[5]!, wallets[6]!, wallets[7]!]
    const deployment = await deployLocal(deployer, { chainId: anvil.chainId, ...(native ? { asset: 'native' as const } : {}) })
    const domain = { chainId: anvil.chainId, escrow: deployment.escrow.hex }
    const connect = async (w: Wallet): Promise<EvmChain> => await EvmChain.create({ provider: provider!, signer: w }, { escrow: domain.escrow, chainId: domain.chainId })
    const seederChain = await connect(seederWallet)
    const payerChains = await Promise.all(payerWallets.map(connect))
    say(native
      ? `  ${anvil.url}\n  NativeBandwidthEscrow ${deployment.escrow.hex} (withdrawal delay 24 h; token() is the zero address)`
      : `  ${anvil.url}\n  TestBTT         ${deployment.token.hex}\n  BandwidthEscrow ${deployment.escrow.hex} (withdrawal delay 24 h)`)

    step(native
      ? 'Three payers: deposit 100 BTT each (coins sent with the call: no approval), and name a hot key that signs receipts (setSigner)'
      : 'Three payers: mint TestBTT, approve, deposit 100 BTT each, and name a hot key that signs receipts (setSigner)')
    await Promise.all(payerChains.map(async (c, i) => {
      await depositTestFunds(c, DEPOSIT)
      await c.setSigner(hotWallets[i]!.address)
    }))
    const names = ['A', 'B', 'C', 'D'] as const
    const dWallet = wallets[8]!
    const everyPayer = [...payerWallets, dWallet]
    const nameOf = (a: string): string => names[everyPayer.findIndex(w => w.address.toLowerCase() === a.toLowerCase())] ?? short(a)
    say(table(['payer', 'account', 'in escrow', 'hot signer'], payerChains.map((c, i) => [names[i]!, short(c.account!), btt(DEPOSIT), short(hotWallets[i]!.address)])))

    step(`A torrent of a random ${FILE_BYTES / 1048576} MiB file`)
    const seedDir = join(dir, 'seeder', 'data')
    await writeFileIn(seedDir, 'seedpay-demo.bin', randomBytes(FILE_BYTES))
    const torrent = await parseTorrentBuffer(await createTorrentFile(join(seedDir, 'seedpay-demo.bin'), { pieceLength: PIECE_LENGTH }))
    say(`  ${torrent.name}: ${torrent.pieceCount} pieces of ${PIECE_LENGTH / 1024} KiB, info hash ${torrent.infoHash}`)

    step(`The seeder (payee) charges 0.01 BTT/MiB, serves up to ${CREDIT / 1048576n} MiB ahead of payment, asks each payer for a 0.5 BTT lane, and trusts at most 0.1 BTT of a payer's unreserved balance`)
    const seeder = await makePeer({ logger, chain: seederChain }, {
      name: 'seeder', dir: join(dir, 'seeder'), domain, torrent, account: seederWallet.address, signingKey: seederWallet.privateKey, dataDir: seedDir,
      payee: {
        pricePerMiB: PRICE, credit: CREDIT, wantLane: WANT_LANE, exposureLimit: EXPOSURE,
        settle: { minAmount: MIN_AMOUNT, intervalMs: 250 },
        feed: { pollMs: 100, fromBlock: deployment.escrowBlock }
      }
    })
    peers.push(seeder)
    scheduler = seeder.composed!.scheduler!
    const events = recordEvents(scheduler)
    await seeder.engine.start()
    say(`  listening on ${seeder.engine.address}; account ${getAddress(seeder.account)}`)
    say(`  with a lane the seeder can lose at most its credit (${btt(CREDIT * PRICE / 1048576n)}); without one, credit + ${btt(EXPOSURE)} (docs/risk.md)`)
    for (const line of thresholdText()) say(line)

    step('Four leechers download over TCP, each paying a receipt per verified piece: A and B reserve the lane the seeder asks for, C pays from its free balance, and D deposited only 0.05 BTT and signs whatever it receives')
    const dChain = await connect(dWallet)
    await depositTestFunds(dChain, D_DEPOSIT)
    const leecherChains = [...payerChains, dChain]
    const leechers = await Promise.all(['A', 'B', 'C', 'D'].map(async (n, i) => await makePeer({ logger, chain: leecherChains[i]! }, {
      name: `leecher ${n}`, dir: join(dir, `leecher-${n}`), domain, torrent, account: leecherChains[i]!.account!,
      signingKey: i < 3 ? hotWallets[i]!.privateKey : dWallet.privateKey, dataDir: join(dir, `leecher-${n}`, 'data'), peers: [seeder.engine.address],
      ...(n === 'D' ? { unbounded: { maxPricePerMiB: PRICE } } : { payer: { maxPricePerMiB: PRICE, autoLane: n !== 'C' } })
    })))
    peers.push(...leechers)
    const lanes: Array<{ payee: string, amount: bigint, txId: string, who: string }> = []
    leechers.forEach((l, i) => { l.payments.on('lane:reserved', e => { for (const x of e.lanes) lanes.push({ ...x, txId: e.txId, who: names[i]! }) }) })
    const uncovered: Array<{ payer: string, decision: string }> = []
    seeder.payments.on('peer:uncovered', e => { uncovered.push({ payer: e.payer, decision: e.decision }) })
    const paying = leechers.slice(0, 3)
    const progress = trackProgress(seeder, paying)
    const t0 = Date.now()
    const done = paying.map(async l => await new Promise<void>(resolve => l.engine.once('done', () => resolve())))
    await Promise.all(leechers.map(async l => { await l.engine.start() }))
    await within(Number(process.env['SEEDPAY_DEMO_DOWNLOAD_MS'] ?? 45_000), 'the downloads', Promise.all(done))
    await new Promise(resolve => setTimeout(resolve, 200)) // let the last receipts land
    progress.stop()
    const took = Date.now() - t0
    say(`  A, B and C: ${mib(BigInt(FILE_BYTES * 3))} verified in ${seconds(took)} (${(FILE_BYTES * 3 / 1048576 / (took / 1000)).toFixed(0)} MiB/s); every byte checked against its piece's SHA-1 before it was paid for`)
    for (const l of lanes) say(`  ${l.who} reserved a ${btt(l.amount)} lane for the seeder (reserve ${short(l.txId)}): only the seeder's receipts can take it`)
    const keyOf = (l: DemoPeer): ChannelKey => channelKey(domain, l.account, seeder.account)
    const paidRows = leechers.map((l, i) => {
      const signed = l.ledger.newest(keyOf(l))
      const held = seeder.ledger.newest(keyOf(l))
      return [names[i]!, mib(signed?.bytes ?? 0n), btt(signed?.amount ?? 0n), String(seeder.ledger.history(keyOf(l)).length), mib(held?.bytes ?? 0n), btt(held?.amount ?? 0n)]
    })
    say(table(['payer', 'signed for', 'signed amount', 'receipts held', 'seeder holds', 'held amount'], paidRows))
    const d = leechers[3]!
    const riskText = (e: SettlementEvents['settle:confirmed']): string => `${e.entries.map(x => nameOf(x.payer)).join(', ')}'s receipts reached what its unreserved balance is trusted for → ${e.batch ? 'settleBatch' : 'settle'} ${short(e.txId)} paid ${btt(e.total)}`
    const isD = (e: SettlementEvents['settle:confirmed']): boolean => e.entries.some(x => x.payer === d.account)
    for (const e of events.confirmed.filter(e => e.reason === 'risk' && !isD(e))) say(`  risk: ${riskText(e)}`)

    step('Payer D: the seeder served only what D\'s 0.05 BTT backs, refused the rest, and cashed it')
    const refusedD = uncovered.some(u => u.payer === d.account && u.decision === 'wait')
    say(`  seeder: ${refusedD ? 'D refused: its receipts are not backed for more (it must reserve a lane or deposit)' : 'D was never refused'}`)
    if (!refusedD) throw new DemoError('the seeder did not refuse the under-funded payer D')
    // the seeder cashes D once every byte it served D is paid for (or a few seconds after D ran out)
    const dPaid = await until(15_000, 'the seeder cashing D\'s receipts', async () => {
      const paid = await seederChain.paidOut(d.account, seeder.account)
      return paid > 0n && paid === (seeder.ledger.newest(keyOf(d))?.amount ?? 0n) ? paid : undefined
    })
    for (const e of events.confirmed.filter(e => e.reason === 'risk' && isD(e))) say(`  D's receipts used up its free balance → ${e.batch ? 'settleBatch' : 'settle'} ${short(e.txId)} paid ${btt(e.total)}`)
    const dServed = seeder.ledger.newest(keyOf(d))
    say(`  D verified ${mib(BigInt(d.engine.stats().verifiedBytes))} of ${mib(BigInt(FILE_BYTES))}, signed ${btt(d.ledger.newest(keyOf(d))?.amount ?? 0n)}; the seeder holds receipts for ${mib(dServed?.bytes ?? 0n)} and was paid ${btt(dPaid)} of D's ${btt(D_DEPOSIT)}`)
    await d.stop()

    step('Payer C asks for its money back (requestWithdrawal): the watchtower cashes C\'s receipts at once, a day before C could withdraw')
    const c = payerChains[2]!
    const watched = nextEvent(scheduler, 'settle:confirmed', e => e.reason === 'watchtower')
    const seenP = nextEvent(scheduler, 'watchtower:withdrawal')
    const requested = Date.now()
    const request = await c.requestWithdrawal(await c.balanceOf(c.account!))
    const seen = await within(10_000, 'the watchtower\'s reaction', seenP)
    const unlockAt = new Date(Number(seen.unlockAt) * 1000)
    say(`  block ${request.blockNumber}: WithdrawalRequested(C, ${btt(seen.amount)}, unlocks ${unlockAt.toISOString().slice(0, 16).replace('T', ' ')} UTC)`)
    if (seen.unsettled > 0n) {
      const settled = await within(10_000, 'the watchtower\'s settlement', watched)
      say(`  watchtower: C owes ${btt(seen.unsettled)} unsettled → settle ${short(settled.txId)} paid ${btt(settled.total)}, ${seconds(Date.now() - requested)} after the request`)
    } else {
      say('  watchtower: C owes nothing unsettled; nothing to do')
    }

    step('Everyone stops; the seeder\'s scheduler settles what is left in one settleBatch (settlement on shutdown), A\'s and B\'s from their lanes')
    for (const l of paying) await l.stop()
    const flush = await within(20_000, 'the shutdown settlement', seeder.stop())
    scheduler = undefined
    if (flush === null || flush.failed.length > 0) throw new DemoError(`settlement on shutdown failed: ${events.failed.at(-1)?.error.message ?? ''}`)
    const batch = events.confirmed.find(e => e.reason === 'shutdown')
    if (batch === undefined) throw new DemoError('the scheduler settled nothing on shutdown')
    const mined = await provider.getTransactionReceipt(batch.txId)
    say(`  ${batch.batch ? 'settleBatch' : 'settle'} ${short(batch.txId)}: ${batch.entries.length} payers, ${btt(batch.total)} in one token transfer, ${mined?.gasUsed.toLocaleString('en-US') ?? '?'} gas`)
    say(table(['payer', 'receipt', 'paid before', 'paid now'], batch.entries.map(e => [
      nameOf(e.payer), `${mib(e.bytes)} / ${btt(e.amount)}`, btt(e.paidBefore), btt(batch.paid.get(e.payer) ?? 0n)
    ])))

    step('Audit: every pair and every lane rebuilt from the escrow\'s events alone (Settled, batch records, Bounced, lanes) and matched with the seeder\'s ledger and the chain')
    const report = await auditPayee({ chain: seederChain, ledger: seeder.ledger }, seeder.account, { fromBlock: deployment.escrowBlock })
    say(auditTable(report).split('\n').map(l => '  ' + l).join('\n'))
    const payerAudits = await Promise.all(leechers.map(async l => await reconcile({ chain: seederChain, ledger: l.ledger }, { payer: l.account }, { fromBlock: deployment.escrowBlock })))
    say(`  each payer's own ledger against the chain: ${payerAudits.map((a, i) => `${names[i]!} ${a.ok ? '✓' : '✗'}`).join('  ')}`)
    const laneRows = await Promise.all(leechers.map(async (l, i) => {
      const { lane, paidOut } = await seederChain.laneOf(l.account, seeder.account)
      return [names[i]!, btt(lane), btt(paidOut)]
    }))
    say(table(['payer', 'lane left for the seeder', 'paid to the seeder'], laneRows).split('\n').map(l => '  ' + l).join('\n'))
    if (!report.ok || payerAudits.some(a => !a.ok)) throw new DemoError(`the audit found ${report.mismatches.length + payerAudits.reduce((n, a) => n + a.mismatches.length, 0)} mismatch(es)`)
    say('  audit: matched ✓')

    step('Balances')
    const rows = [['seeder', seeder.account, await seederChain.tokenBalanceOf(seeder.account), 0n, 0n] as const]
    const balances = await Promise.all([...payerChains, await connect(dWallet)].map(async (pc, i) => [`payer ${names[i]!}`, pc.account!, await pc.tokenBalanceOf(pc.account!), await pc.balanceOf(pc.account!), (await pc.pendingWithdrawal(pc.account!)).amount] as const))
    say(table(['who', 'account', 'wallet', 'in escrow', 'withdrawing'], [...rows, ...balances].map(([who, a, wallet, escrow, out]) => [who, short(a), btt(wallet), who === 'seeder' ? '' : btt(escrow), who === 'seeder' ? '' : btt(out)])))
    const laneTotal = (await Promise.all(everyPayer.map(async w => (await seederChain.laneOf(w.address, seeder.account)).lane))).reduce((s, l) => s + l, 0n)
    say(`  escrow holds ${btt(await seederChain.tokenBalanceOf(deployment.escrow.hex))} = Σ free balances ${btt(balances.reduce((s, b) => s + b[3], 0n))} + Σ lanes ${btt(laneTotal)}`)

    say(`\n✔ Demo complete in ${seconds(Date.now() - started)}: ${btt(report.totals.paid)} paid for ${mib(report.totals.bytes)} of verified bandwidth; audit matched ✓`)
  } finally {
    await cleanup()
  }
}

/**
 * What the settle threshold is and why, here and on mainnet: the figure means nothing without the fee behind it and
 * the transfer it takes a payer to reach it at the demo's price.
 */
function thresholdText (): string[] {
  const mainnet = defaultMinAmount()
  const fee = settlementCost({ energy: BATCH_RECEIPT_ENERGY })
  const mibText = (amount: bigint): string => `${(amount / PRICE).toLocaleString('en-US')} MiB`
  const warns = settleWarning({ pricePerMiB: PRICE, threshold: mainnet, fixed: false, network: 'mainnet' }) !== null
  return [
    `  settle threshold ${btt(MIN_AMOUNT)} per payer (the demo's choice): the seeder's timer cashes a payer's receipts once they are worth that ` +
      `(${mibText(MIN_AMOUNT)} at ${btt(PRICE)}/MiB), so that a settlement's fee is a small part of what it collects; each 32 MiB download here stays ` +
      'below it, so the watchtower and the shutdown do the settling',
    `  on TRON mainnet the default is ${btt(mainnet)}: ${DEFAULT_COST_RATIO} times the fee of one receipt in a settleBatch ` +
      `(${BATCH_RECEIPT_ENERGY.toLocaleString('en-US')} energy × ${TRON_SUN_PER_ENERGY} sun × ${btt(TRON_TOKEN_PER_SUN)}/sun = ${btt(fee)}); ` +
      `at ${btt(PRICE)}/MiB a payer reaches it after ${mibText(mainnet)} (${bytesText(Number(mainnet / PRICE) * 1048576)})` +
      (warns ? `, so \`seedpay seed\` warns at such a price (${priceText(mainnet / (10_240n))} settles every 10 GiB)` : '')
  ]
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

async function nextEvent<K extends keyof SettlementEvents> (s: SettlementScheduler, name: K, accept: (e: SettlementEvents[K]) => boolean = () => true): Promise<SettlementEvents[K]> {
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
function fail (err: unknown, code = err instanceof UsageError ? 2 : 1): void {
  if (failed) return
  failed = true
  const message = err instanceof Error ? err.message.split('\n')[0]! : String(err)
  process.stderr.write(`\n✘ demo failed: ${message}\n`)
  process.exit(code)
}

main().then(() => { process.exit(0) }, (err: unknown) => { fail(err) })
