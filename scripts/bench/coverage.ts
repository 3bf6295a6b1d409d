/**
 * npm run bench:coverage — what "every byte served is backed" costs a paid transfer, as one would run it: a
 * charging seeder and a paying leecher (TorrentEngines over TCP on 127.0.0.1, payments built by createPayments
 * on a local anvil with the tronbox-built escrow), in two modes interleaved in the same run:
 *   backed   — the payee's coverage (lane + trusted free balance, event feed) and the payer's budget and lane
 *   unbacked — the same PaymentAgents without coverage or budget (how the first version paid)
 * Every chain call either side makes is counted (the EscrowClient is wrapped), and split into the calls made
 * before the first receipt (hello: backing reads, the lane reserve) and after it (steady state, per receipt).
 * Reports medians of the runs. The last stdout line is one JSON object.
 *
 *   npm run bench:coverage [-- <MiB>]    size (default 64); BENCH_RUNS=3 runs per mode
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { JsonRpcProvider, Wallet } from 'ethers'
import { EvmChain, type EscrowClient } from '../../agent/chain/index.ts'
import { startAnvil, ANVIL_KEYS, deployLocal } from '../../devtools/chain/index.ts'
import { createPayments, type Payments } from '../../agent/compose/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { HotKeySigner, toAddress, type EscrowDomain } from '../../agent/pay/index.ts'
import { PaymentAgent, ChainSignerDirectory, swarmInit, connectSwarm } from '../../agent/payment/index.ts'
import { createTorrentFile, parseTorrentBuffer, TorrentEngine, type TorrentMeta } from '../../agent/swarm/index.ts'

const E18 = 10n ** 18n
const PRICE = E18 / 1000n // 0.001 BTT/MiB
const logger = pino({ level: process.env['BENCH_LOG'] ?? 'silent' })

type Mode = 'backed' | 'unbacked'
interface Run { steady: Record<string, number>, mode: Mode, seconds: number, mbps: number, receipts: number, callsBefore: number, callsSteady: number, feedPolls: number, steadyReadsPerReceipt: number, calls: Record<string, number> }

/** The event feed's own calls: one pair per poll interval, whatever the traffic (not per receipt). */
const FEED_CALLS = new Set(['eventsSince', 'blockNumber'])

interface Tally { steady: boolean, before: number, after: number, feed: number, byName: Record<string, number>, steadyByName: Record<string, number> }

/** Counts every EscrowClient method call; `phase()` switches the counter (hello → steady state). */
function counted (client: EscrowClient, tally: Tally): EscrowClient {
  return new Proxy(client, {
    get (target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown
      if (typeof v !== 'function' || typeof prop !== 'string') return v
      return (...args: unknown[]) => {
        if (FEED_CALLS.has(prop)) tally.feed++
        else if (tally.steady) { tally.after++; tally.steadyByName[prop] = (tally.steadyByName[prop] ?? 0) + 1 }
        else tally.before++
        tally.byName[prop] = (tally.byName[prop] ?? 0) + 1
        return (v as (...a: unknown[]) => unknown).apply(target, args)
      }
    }
  })
}

async function main (): Promise<void> {
  const mib = Number(process.argv[2] ?? process.env['COVERAGE_BENCH_MIB'] ?? 64)
  const runs = Number(process.env['BENCH_RUNS'] ?? 3)
  const root = await mkdtemp(join(tmpdir(), 'seedpay-bench-coverage-'))
  const anvil = await startAnvil()
  const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 })
  try {
    const wallets = ANVIL_KEYS.map(k => new Wallet(k, provider))
    const deployment = await deployLocal(wallets[0]!, { chainId: anvil.chainId })
    const domain: EscrowDomain = { chainId: anvil.chainId, escrow: deployment.escrow.hex }
    const chainOf = async (w: Wallet): Promise<EvmChain> => await EvmChain.create({ provider, signer: w }, { escrow: domain.escrow, chainId: domain.chainId })
    const data = join(root, 'seed')
    await mkdir(data, { recursive: true })
    await writeFile(join(data, 'bench.bin'), randomBytes(mib * 1024 * 1024))
    const meta = await parseTorrentBuffer(await createTorrentFile(join(data, 'bench.bin'), { pieceLength: 256 * 1024 }))
    console.log(`bench:coverage — ${mib} MiB, 256 KiB pieces, ${runs} runs per mode interleaved, ${cpus().length} cores, anvil`)
    const results: Run[] = []
    for (let i = 0; i < runs * 2; i++) {
      const mode: Mode = i % 2 === 0 ? 'backed' : 'unbacked'
      // a fresh payer per run: its first hello, its lane, its budget start from nothing
      const payerWallet = wallets[2 + Math.floor(i / 2) % 7]!
      const payer = await chainOf(payerWallet)
      const seeder = await chainOf(wallets[1]!)
      const cost = PRICE * BigInt(mib) * 2n
      await payer.mintTestBTT(payer.account!, cost)
      await payer.approve(cost)
      await payer.deposit(cost)
      const r = await once(mode, { meta, data, root: join(root, `run-${i}`), domain, seeder, payer, seederKey: wallets[1]!.privateKey, payerKey: payerWallet.privateKey, mib })
      results.push(r)
      console.log(`${mode.padEnd(9)} ${r.mbps.toFixed(1).padStart(7)} MB/s  ${r.seconds.toFixed(2)} s  receipts ${r.receipts}  chain calls before/steady ${r.callsBefore}/${r.callsSteady} (steady: ${JSON.stringify(r.steady)}, feed polls ${r.feedPolls / 2})`)
    }
    const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }
    const summary = (mode: Mode): Record<string, number> => {
      const rs = results.filter(r => r.mode === mode)
      return { mbps: median(rs.map(r => r.mbps)), seconds: median(rs.map(r => r.seconds)), callsBefore: median(rs.map(r => r.callsBefore)), callsSteady: median(rs.map(r => r.callsSteady)), steadyReadsPerReceipt: median(rs.map(r => r.steadyReadsPerReceipt)) }
    }
    const backed = summary('backed')
    const unbacked = summary('unbacked')
    console.log(JSON.stringify({ bench: 'coverage', date: new Date().toISOString(), sizeMiB: mib, runs, backed, unbacked, throughputRatio: Math.round(backed['mbps']! / unbacked['mbps']! * 100) / 100 }))
  } finally {
    provider.destroy()
    await anvil.stop()
    await rm(root, { recursive: true, force: true })
  }
}

interface OnceInit { meta: TorrentMeta, data: string, root: string, domain: EscrowDomain, seeder: EvmChain, payer: EvmChain, seederKey: string, payerKey: string, mib: number }

async function once (mode: Mode, init: OnceInit): Promise<Run> {
  await mkdir(init.root, { recursive: true })
  const tally: Tally = { steady: false, before: 0, after: 0, feed: 0, byName: {}, steadyByName: {} }
  const seederLedger = new Ledger({}, { path: join(init.root, 'seeder.db') })
  const payerLedger = new Ledger({}, { path: join(init.root, 'payer.db') })
  const stops: Array<() => Promise<unknown>> = []
  let seedPayments: { engineInit: ReturnType<typeof swarmInit>, attach: (e: TorrentEngine) => void, agent: PaymentAgent }
  let leechPayments: typeof seedPayments
  if (mode === 'backed') {
    const s: Payments = await createPayments({ logger, ledger: seederLedger, chain: counted(init.seeder, tally), signer: new HotKeySigner(init.seederKey) }, {
      domain: init.domain, account: init.seeder.account!, payee: { pricePerMiB: PRICE, wantLane: PRICE * BigInt(init.mib) * 2n, settle: { minAmount: E18 * 1000n }, feed: { pollMs: 1000 } }
    })
    const p: Payments = await createPayments({ logger, ledger: payerLedger, chain: counted(init.payer, tally), signer: new HotKeySigner(init.payerKey) }, {
      domain: init.domain, account: init.payer.account!, payer: { maxPricePerMiB: PRICE }
    })
    stops.push(async () => await s.stop(), async () => await p.stop())
    seedPayments = s
    leechPayments = p
  } else {
    const make = (ledger: Ledger, chain: EvmChain, key: string, pricePerMiB: bigint, maxPricePerMiB: bigint): PaymentAgent =>
      new PaymentAgent({ logger, ledger, signer: new HotKeySigner(key), signers: new ChainSignerDirectory({ chain: counted(chain, tally) }) }, { domain: init.domain, account: toAddress(chain.account!), pricePerMiB, maxPricePerMiB })
    const s = make(seederLedger, init.seeder, init.seederKey, PRICE, 0n)
    const p = make(payerLedger, init.payer, init.payerKey, 0n, PRICE)
    let us: () => void = () => {}
    let up: () => void = () => {}
    seedPayments = { engineInit: swarmInit(s), attach: e => { us = connectSwarm(s, e) }, agent: s }
    leechPayments = { engineInit: swarmInit(p), attach: e => { up = connectSwarm(p, e) }, agent: p }
    stops.push(async () => { us(); await s.stop() }, async () => { up(); await p.stop() })
  }
  let receipts = 0
  seedPayments.agent.on('receipt:received', () => { receipts++; tally.steady = true })
  const seed = new TorrentEngine({ logger }, { torrent: init.meta, dataDir: init.data, host: '127.0.0.1', port: 0, pex: false, ...seedPayments.engineInit })
  seedPayments.attach(seed)
  await seed.start()
  const leech = new TorrentEngine({ logger }, { torrent: init.meta, dataDir: join(init.root, 'out'), host: '127.0.0.1', port: 0, pex: false, peers: [seed.address], ...leechPayments.engineInit })
  leechPayments.attach(leech)
  const t0 = process.hrtime.bigint()
  const done = new Promise<void>(resolve => leech.once('done', () => resolve()))
  await leech.start()
  await done
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const steadyCalls = tally.after
  const steadyByName = { ...tally.steadyByName }
  await leech.stop()
  await seed.stop()
  for (const stop of stops) await stop()
  seederLedger.close()
  payerLedger.close()
  const bytes = init.mib * 1024 * 1024
  return { mode, seconds, mbps: bytes / 1e6 / seconds, receipts, callsBefore: tally.before, callsSteady: steadyCalls, feedPolls: tally.feed, steadyReadsPerReceipt: receipts === 0 ? 0 : Math.round(steadyCalls / receipts * 1000) / 1000, calls: tally.byName, steady: steadyByName }
}

main().catch(err => {
  console.error(`bench:coverage failed: ${(err as Error).message}`)
  process.exitCode = 1
})
