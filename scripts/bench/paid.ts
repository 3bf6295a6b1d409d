/**
 * npm run bench:paid — what paying costs a download, timed as a person waits: `seedpay get` from a `seedpay seed`
 * on the same data over 127.0.0.1, each its own process, free and paid interleaved in the same run (the order
 * alternates every round). Paid: the seeder asks `--price 0.0001` BTT/MiB, the leecher pays up to `--max-price
 * 0.001` from a funded escrow balance on a local anvil with the tronbox-built escrow (both with `--key-file`).
 * Each `get` is timed from spawn to exit (start-up, hello, chain reads, transfer, shutdown); the transfer alone
 * (its `listening` to `done` events), the leecher's CPU and peak RSS and the seeder's CPU (whole process) beside it.
 *
 *   npm run bench:paid [-- <MiB>]      size (default 256); BENCH_RUNS=5 runs per mode; BENCH_PIECE_KIB=256;
 *                                      BENCH_CREDIT=<MiB> the seeder's --credit; BENCH_LANE=<BTT> its --want-lane;
 *                                      BENCH_SEED_ARGS='…' more options for the paid seeder
 *
 * The last stdout line is one JSON object; `ratio` is paid ÷ free of the whole-process MB/s medians.
 */
import { readdirSync } from 'node:fs'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { startCliChain, type CliChain } from '../../devtools/chain/cli-chain.ts'
import { writeRandomFile } from '../../devtools/bench/random-file.ts'
import { round, spread } from '../../devtools/bench/stats.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { createTorrentFile } from '../../agent/swarm/index.ts'

type Mode = 'free' | 'paid'
interface Run { mode: Mode, wallSeconds: number, wallMbps: number, startSeconds: number, stopSeconds: number, transferSeconds: number, transferMbps: number, leecherCpuMs: number, leecherPeakRssMiB: number, seederCpuMs: number, receipts: number }

const PRICE = '0.0001'
const MAX_PRICE = '0.001'
/** BENCH_CREDIT=<MiB>: the seeder's --credit (default: the agent's). */
const CREDIT = process.env['BENCH_CREDIT'] !== undefined ? ['--credit', process.env['BENCH_CREDIT']] : []
/** BENCH_LANE=<BTT>: the seeder asks for a lane (`--want-lane`), which the leecher reserves at its hello (default: none, free balance only). */
const LANE = process.env['BENCH_LANE'] !== undefined ? ['--want-lane', process.env['BENCH_LANE']] : []
/** BENCH_SEED_ARGS='--max-exposure 256': more options for the paid seeder, split on spaces (to measure one knob at a time). */
const SEED_ARGS = (process.env['BENCH_SEED_ARGS'] ?? '').split(' ').filter(a => a !== '')
/** BENCH_LOG_LEVEL=debug: both children log at that level to SEEDPAY_HOME/logs (kept with BENCH_KEEP=1). */
const LOG = process.env['BENCH_LOG_LEVEL'] !== undefined ? ['--log-level', process.env['BENCH_LOG_LEVEL']] : []

interface Setup { chain: CliChain, payerKey: string, payeeKey: string, torrent: string, data: string, root: string }

/** Runs a `seedpay` command to its end; throws with its stderr unless it exits 0. */
async function seedpay (args: string[]): Promise<void> {
  const child = new SeedpayChild(args)
  const code = await child.exited
  if (code !== 0) throw new Error(`seedpay ${args.slice(0, 2).join(' ')} exited ${code}: ${child.stderr}`)
}

/** Receipts every payer ledger in SEEDPAY_HOME holds (what the leecher signed, read from its SQLite file). */
function payerReceipts (): number {
  const home = process.env['SEEDPAY_HOME']!
  let n = 0
  for (const f of readdirSync(home).filter(f => /^ledger-.*\.sqlite$/.test(f))) {
    const db = new Database(join(home, f), { readonly: true })
    try {
      n += db.prepare<[], { n: number }>("SELECT count(*) AS n FROM receipts JOIN channels ON channels.id = receipts.channel_id WHERE role = 'payer'").get()!.n
    } finally {
      db.close()
    }
  }
  return n
}

async function runOnce (s: Setup, mode: Mode, bytes: number, n: number): Promise<Run> {
  const chainArgs = (key: string): string[] => [...LOG, ...mode === 'paid' ? ['--key-file', key, ...s.chain.args] : []]
  const seed = new SeedpayChild(['seed', s.torrent, '--data', s.data, '--host', '127.0.0.1', '--port', '0',
    ...(mode === 'paid' ? ['--price', PRICE, ...CREDIT, ...LANE, ...SEED_ARGS] : []), ...chainArgs(s.payeeKey)])
  const out = join(s.root, `get-${mode}-${n}`)
  try {
    const listening = await seed.next('listening')
    const t0 = process.hrtime.bigint()
    const get = new SeedpayChild(['get', s.torrent, '--out', out, '--host', '127.0.0.1', '--peer', `127.0.0.1:${String(listening['port'])}`,
      ...(mode === 'paid' ? ['--max-price', MAX_PRICE] : []), ...chainArgs(s.payerKey)])
    const before = payerReceipts()
    const started = await get.next('listening')
    const done = await get.next('done')
    const exit = await get.next('exit')
    const code = await get.exited
    const wall = Number(process.hrtime.bigint() - t0) / 1e9
    // spawn → listening (start-up: modules, keys, chain reads) and done → exit (flush, settle, close)
    const spawnedAt = Date.now() - wall * 1000
    const startSeconds = (Date.parse(started.time) - spawnedAt) / 1000
    const stopSeconds = (Date.parse(exit.time) - Date.parse(done.time)) / 1000
    if (code !== 0) throw new Error(`get exited ${code}: ${get.stderr}`)
    const transfer = (Date.parse(done.time) - Date.parse(started.time)) / 1000
    // the seeder's whole process (start-up, serving, its settlements, the one at SIGINT), from its exit event
    await seed.stop()
    const seedExit = await seed.next('exit', 10_000)
    return {
      mode, wallSeconds: round(wall, 3), wallMbps: round(bytes / 1e6 / wall, 1), startSeconds: round(startSeconds, 3), stopSeconds: round(stopSeconds, 3), transferSeconds: round(transfer, 3),
      transferMbps: round(bytes / 1e6 / transfer, 1), leecherCpuMs: Number(exit['cpuUserMs']) + Number(exit['cpuSystemMs']),
      leecherPeakRssMiB: Number(exit['maxRssMiB']), seederCpuMs: Number(seedExit['cpuUserMs']) + Number(seedExit['cpuSystemMs']), receipts: payerReceipts() - before
    }
  } finally {
    await seed.stop()
    await rm(out, { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  const mib = Number(process.argv[2] ?? 256)
  const runs = Number(process.env['BENCH_RUNS'] ?? 5)
  const pieceKiB = Number(process.env['BENCH_PIECE_KIB'] ?? 256)
  if (!Number.isInteger(mib) || mib <= 0) throw new Error(`size must be a positive number of MiB, got ${String(process.argv[2])}`)
  const root = await mkdtemp(join(tmpdir(), 'seedpay-bench-paid-'))
  // the children's keys, ledgers and logs stay in this run's folder, not the user's ~/.seedpay
  process.env['SEEDPAY_HOME'] = join(root, 'home')
  await mkdir(process.env['SEEDPAY_HOME'])
  const chain = await startCliChain(root)
  try {
    const data = join(root, 'data')
    await mkdir(data)
    const file = join(data, `bench-${mib}MiB.bin`)
    await writeRandomFile(file, mib * 1024 * 1024)
    const torrent = join(root, 'bench.torrent')
    await writeFile(torrent, await createTorrentFile(file, { pieceLength: pieceKiB * 1024 }))
    const s: Setup = { chain, root, data, torrent, payerKey: await chain.keyFile('payer', ANVIL_KEYS[1]), payeeKey: await chain.keyFile('payee', ANVIL_KEYS[2]) }
    await seedpay(['mint', '1000', '--key-file', s.payerKey, ...chain.args])
    await seedpay(['deposit', '1000', '--key-file', s.payerKey, ...chain.args])
    console.log(`paid bench: ${mib} MiB, ${pieceKiB} KiB pieces, ${runs} runs per mode interleaved, ${cpus().length} cores`)
    const all: Run[] = []
    for (let i = 0; i < runs; i++) {
      const order: Mode[] = i % 2 === 0 ? ['free', 'paid'] : ['paid', 'free']
      for (const mode of order) {
        const r = await runOnce(s, mode, mib * 1024 * 1024, i)
        all.push(r)
        console.log(`${mode.padEnd(5)} whole ${r.wallMbps.toFixed(1).padStart(7)} MB/s (${r.wallSeconds.toFixed(2)} s)  start ${r.startSeconds.toFixed(2)} s  stop ${r.stopSeconds.toFixed(2)} s  transfer ${r.transferMbps.toFixed(1).padStart(7)} MB/s  cpu ${r.leecherCpuMs} ms (seeder ${r.seederCpuMs} ms)  rss ${r.leecherPeakRssMiB} MiB  receipts ${r.receipts}`)
      }
    }
    const of = (mode: Mode, k: keyof Run): ReturnType<typeof spread> => spread(all.filter(r => r.mode === mode).map(r => r[k] as number))
    const summary = Object.fromEntries((['free', 'paid'] as const).map(m => [m, {
      wallMbps: of(m, 'wallMbps'), wallSeconds: of(m, 'wallSeconds'), startSeconds: of(m, 'startSeconds'), stopSeconds: of(m, 'stopSeconds'), transferMbps: of(m, 'transferMbps'), leecherCpuMs: of(m, 'leecherCpuMs'),
      seederCpuMs: of(m, 'seederCpuMs'), leecherPeakRssMiB: of(m, 'leecherPeakRssMiB'), receipts: of(m, 'receipts')
    }]))
    const ratio = round(summary['paid']!.wallMbps.median / summary['free']!.wallMbps.median, 3)
    const transferRatio = round(summary['paid']!.transferMbps.median / summary['free']!.transferMbps.median, 3)
    console.log(`paid ÷ free, whole process: ${ratio}; transfer alone: ${transferRatio}`)
    console.log(JSON.stringify({ bench: 'paid', date: new Date().toISOString(), sizeMiB: mib, pieceKiB, runs, credit: CREDIT[1] ?? 'default', lane: LANE[1] ?? 'none', seedArgs: SEED_ARGS, cores: cpus().length, ratio, transferRatio, summary, runsDetail: all }))
  } finally {
    await chain.stop()
    if (process.env['BENCH_KEEP'] === '1') console.log(`kept ${root}`)
    else await rm(root, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(`bench:paid failed: ${(err as Error).message}`)
  process.exitCode = 1
})
