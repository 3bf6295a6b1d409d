/**
 * npm run bench:swarm-many — a swarm, not a pair (issue 11). Shapes, interleaved in the same run:
 *
 *   agent-free   `seedpay seed` on 127.0.0.2 + N `seedpay get --seed` on 127.0.0.10…, one process each, one tracker
 *   agent-paid   the same, the seeder charging `--price 0.0001`, each leecher paying from its own funded account
 *   libtorrent   lt_client.py seeder + N lt_client.py leechers, one process (one session) each, the same tracker
 *   crowd-agent  `seedpay seed` that 200 libtorrent sessions (each on its own 127.0.x.y) dial at once
 *   crowd-libtorrent  the same crowd against an lt_client.py seeder
 *
 * In the swarms the leechers find each other through the tracker and trade pieces among themselves; finished
 * leechers keep seeding until the last one is done (the same for both clients). Each leecher is timed from its
 * spawn to holding every verified piece; aggregate MB/s = N × size ÷ (first spawn → last leecher done).
 *
 *   npm run bench:swarm-many [-- <MiB>]   swarm torrent size (default 256)
 *   SWARM_MANY_LEECHERS=20                leechers per swarm
 *   SWARM_MANY_RUNS=3                     runs (each runs every shape once; the order rotates)
 *   SWARM_MANY_SHAPES=agent-free,…        shapes to run (default: all five)
 *   SWARM_MANY_CROWD=200                  crowd peers; SWARM_MANY_CROWD_MIB=16 their torrent; SWARM_MANY_CROWD_PROCS=4 python processes
 *   SWARM_MANY_PIECE_KIB=256              piece length; SWARM_MANY_TIMEOUT_S per run (default from the size)
 *   SWARM_MANY_KEEP=1                     keep the temp folder (logs) even when every run passed
 *   SWARM_MANY_SEEDER_LIMIT=<n>           the crowd seeder's connection limit (default crowd + 50)
 *   SWARM_MANY_CPU_PROF=<dir>             V8 CPU profiles of the agent seeder and first leecher
 *
 * Progress goes to stdout line by line; the last line is one JSON object (medians over the runs, every run's detail).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import parseTorrent from 'parse-torrent'
import { createTorrentFile } from '../../agent/swarm/index.ts'
import { writeRandomFile } from '../../devtools/bench/random-file.ts'
import { round } from '../../devtools/bench/stats.ts'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { startCliChain, type CliChain } from '../../devtools/chain/cli-chain.ts'
import { freePort, stopAllProcesses } from '../../devtools/clients/index.ts'
import { agentSwarm } from './swarm-many/agent-swarm.ts'
import { Children } from './swarm-many/children.ts'
import { crowdRun, type CrowdSetup } from './swarm-many/crowd.ts'
import { TRACKER_HOST } from './swarm-many/hosts.ts'
import { libtorrentSwarm } from './swarm-many/lt-swarm.ts'
import { fundPayers } from './swarm-many/payers.ts'
import { crowdFigures, medians, swarmFigures, type CrowdRun, type SwarmRun } from './swarm-many/results.ts'
import { trackerUrl, type SwarmSetup } from './swarm-many/setup.ts'

const SWARM_SHAPES = ['agent-free', 'agent-paid', 'libtorrent'] as const
const CROWD_SHAPES = ['crowd-agent', 'crowd-libtorrent'] as const
type Shape = typeof SWARM_SHAPES[number] | typeof CROWD_SHAPES[number]
/** Each paying leecher's escrow deposit, BTT: far above what the paid shape's runs spend (0.0001 BTT/MiB). */
const DEPOSIT_BTT = 1000n

function envInt (name: string, fallback: number): number {
  const v = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got ${String(process.env[name])}`)
  return v
}

async function makeTorrent (dir: string, mib: number, pieceKiB: number, announce: string[]): Promise<{ torrent: string, data: string, infoHash: string }> {
  const data = join(dir, 'data')
  await mkdir(data, { recursive: true })
  const file = join(data, `bench-${mib}MiB.bin`)
  await writeRandomFile(file, mib * 1024 * 1024)
  const torrent = join(dir, 'bench.torrent')
  await writeFile(torrent, await createTorrentFile(file, { pieceLength: pieceKiB * 1024, announce }))
  const parsed = await parseTorrent(await readFile(torrent))
  return { torrent, data, infoHash: parsed.infoHash }
}

function load (): string { return loadavg().map(l => l.toFixed(2)).join(' ') }

function printSwarm (r: SwarmRun): void {
  const f = swarmFigures(r)
  console.log(`${r.shape.padEnd(16)} aggregate ${f.aggregateMBps.toFixed(1).padStart(6)} MB/s  last ${f.lastS.toFixed(2)} s  median ${f.medianLeecherS.toFixed(2)} s` +
    `  cpu/GiB ${f.cpuPerGiBS.toFixed(2)} s (sys ${f.sysCpuPerGiBS.toFixed(2)}, max ${f.maxCpuPerGiBS.toFixed(2)}; start-up ${f.startupCpuS} s, transfer ${f.transferCpuPerGiBS} s/GiB)  rss max ${f.maxLeecherRssMiB} MiB (${f.listeningRssMiB} listening)  seeder share ${f.seederShare}` +
    `  seeder ${f.seederCpuS.toFixed(2)} s ${f.seederRssMiB} MiB  load ${load()}`)
}

function printCrowd (r: CrowdRun): void {
  const f = crowdFigures(r)
  console.log(`${r.shape.padEnd(16)} aggregate ${f.aggregateMBps.toFixed(1).padStart(6)} MB/s  last ${f.lastS.toFixed(2)} s  median ${f.medianPeerS.toFixed(2)} s` +
    `  peak connections ${f.peakConnections}  seeder ${f.seederCpuS.toFixed(2)} s (${f.seederCpuPerGiBS.toFixed(2)} s/GiB) ${f.seederRssMiB} MiB` +
    `  ${JSON.stringify(r.extra ?? {})}  load ${load()}`)
}

async function main (): Promise<void> {
  const mib = Number(process.argv[2] ?? 256)
  if (!Number.isInteger(mib) || mib <= 0) throw new Error(`size must be a positive number of MiB, got ${String(process.argv[2])}`)
  const leechers = envInt('SWARM_MANY_LEECHERS', 20)
  const runs = envInt('SWARM_MANY_RUNS', 3)
  const pieceKiB = envInt('SWARM_MANY_PIECE_KIB', 256)
  const crowdPeers = envInt('SWARM_MANY_CROWD', 200)
  const crowdMiB = envInt('SWARM_MANY_CROWD_MIB', 16)
  const crowdProcs = envInt('SWARM_MANY_CROWD_PROCS', 4)
  const all: readonly Shape[] = [...SWARM_SHAPES, ...CROWD_SHAPES]
  const shapes = (process.env['SWARM_MANY_SHAPES']?.split(',').map(s => s.trim()).filter(s => s !== '') ?? all) as Shape[]
  for (const s of shapes) if (!all.includes(s)) throw new Error(`unknown shape ${s}; shapes: ${all.join(', ')}`)
  const bytes = mib * 1024 * 1024
  // Generous: the slowest shape moving 5 MB/s in aggregate still finishes; a stall fails the run, not the benchmark.
  const timeoutMs = envInt('SWARM_MANY_TIMEOUT_S', Math.max(180, Math.round(leechers * bytes / 5e6))) * 1000
  const crowdTimeoutMs = envInt('SWARM_MANY_TIMEOUT_S', Math.max(180, Math.round(crowdPeers * crowdMiB * 1048576 / 5e6))) * 1000

  const root = await mkdtemp(join(tmpdir(), 'seedpay-bench-swarm-many-'))
  // The children's keys, ledgers, resume files and logs stay in this run's folder, not the user's ~/.seedpay.
  process.env['SEEDPAY_HOME'] = join(root, 'home')
  await mkdir(process.env['SEEDPAY_HOME'])
  const children = new Children()
  let chain: CliChain | null = null
  let failed = false
  const cleanup = async (): Promise<void> => {
    await children.killAll()
    await stopAllProcesses()
    await chain?.stop()
  }
  process.once('SIGINT', () => { void cleanup().finally(() => process.exit(130)) })
  const swarmRuns: SwarmRun[] = []
  const crowdRuns: CrowdRun[] = []
  const errors: Array<{ shape: Shape, run: number, error: string }> = []
  try {
    const trackerPort = await freePort(TRACKER_HOST)
    const swarmT = await makeTorrent(join(root, 'swarm'), mib, pieceKiB, [trackerUrl(trackerPort)])
    let paid: SwarmSetup['paid'] = null
    if (shapes.includes('agent-paid')) {
      chain = await startCliChain(root)
      const payeeKey = await chain.keyFile('payee', ANVIL_KEYS[2])
      paid = { chain, payeeKey, payerKeys: await fundPayers(chain, leechers, DEPOSIT_BTT), paidBytes: Array.from({ length: leechers }, () => 0) }
    }
    const setup: SwarmSetup = { root, torrent: swarmT.torrent, infoHash: swarmT.infoHash, data: swarmT.data, bytes, leechers, trackerPort, timeoutMs, children, paid }
    let crowd: CrowdSetup | null = null
    if (shapes.some(s => s.startsWith('crowd-'))) {
      const crowdT = await makeTorrent(join(root, 'crowd'), crowdMiB, pieceKiB, [])
      crowd = { root, torrent: crowdT.torrent, data: crowdT.data, bytes: crowdMiB * 1048576, peers: crowdPeers, processes: crowdProcs, leechers, timeoutMs: crowdTimeoutMs, children }
    }
    console.log(`swarm-many bench: swarm of ${leechers + 1} (${mib} MiB), crowd of ${crowdPeers} (${crowdMiB} MiB), ${pieceKiB} KiB pieces, ` +
      `${runs} runs of ${shapes.join(', ')}, ${cpus().length} cores, load ${load()}`)
    const swarmShapes = shapes.filter(s => s.startsWith('crowd-') === false)
    const crowdShapes = shapes.filter(s => s.startsWith('crowd-'))
    for (let run = 0; run < runs; run++) {
      // Rotate the order every run, so no shape always goes first (a cold page cache) or last.
      const order = [...swarmShapes.slice(run % Math.max(1, swarmShapes.length)), ...swarmShapes.slice(0, run % Math.max(1, swarmShapes.length))]
      const crowdOrder = run % 2 === 0 ? crowdShapes : [...crowdShapes].reverse()
      for (const shape of [...order, ...crowdOrder]) {
        try {
          if (shape === 'crowd-agent' || shape === 'crowd-libtorrent') {
            const r = await crowdRun(crowd!, shape === 'crowd-agent' ? 'agent' : 'libtorrent', run)
            crowdRuns.push(r)
            printCrowd(r)
          } else {
            const r = shape === 'libtorrent' ? await libtorrentSwarm(setup, run) : await agentSwarm(setup, shape === 'agent-paid', run)
            swarmRuns.push(r)
            printSwarm(r)
          }
        } catch (err) {
          failed = true
          const message = (err as Error).message.slice(0, 2000)
          errors.push({ shape, run, error: message })
          console.log(`${shape.padEnd(16)} failed (run ${run}): ${message}`)
          await children.killAll()
          await stopAllProcesses()
        }
      }
    }
  } finally {
    await cleanup()
    if (failed || process.env['SWARM_MANY_KEEP'] === '1') console.log(`kept ${root} (logs of every run)`)
    else await rm(root, { recursive: true, force: true })
  }
  const summary: Record<string, unknown> = {}
  for (const shape of SWARM_SHAPES) {
    const rs = swarmRuns.filter(r => r.shape === shape)
    if (rs.length > 0) summary[shape] = medians(rs.map(swarmFigures))
  }
  for (const shape of CROWD_SHAPES) {
    const rs = crowdRuns.filter(r => r.shape === shape)
    if (rs.length > 0) summary[shape] = medians(rs.map(crowdFigures))
  }
  const ratio = (a: string, b: string, k: string): number | null => {
    const x = (summary[a] as Record<string, { median: number }> | undefined)?.[k]?.median
    const y = (summary[b] as Record<string, { median: number }> | undefined)?.[k]?.median
    return x !== undefined && y !== undefined ? round(x / y, 3) : null
  }
  const vsLibtorrent = {
    freeAggregate: ratio('agent-free', 'libtorrent', 'aggregateMBps'),
    paidAggregate: ratio('agent-paid', 'libtorrent', 'aggregateMBps'),
    freeLastTime: ratio('libtorrent', 'agent-free', 'lastS'),
    paidLastTime: ratio('libtorrent', 'agent-paid', 'lastS'),
    crowdAggregate: ratio('crowd-agent', 'crowd-libtorrent', 'aggregateMBps')
  }
  console.log(`agent ÷ libtorrent (above 1: the agent is ahead): ${JSON.stringify(vsLibtorrent)}`)
  console.log(JSON.stringify({
    bench: 'swarm-many', date: new Date().toISOString(), sizeMiB: mib, leechers, pieceKiB, runs, crowdPeers, crowdMiB, cores: cpus().length,
    loadAtEnd: loadavg(), vsLibtorrent, summary, errors,
    runsDetail: { swarm: swarmRuns, crowd: crowdRuns }
  }))
  if (failed) process.exitCode = 1
}

main().catch((err: unknown) => {
  console.error(`bench:swarm-many failed: ${(err as Error).message}`)
  process.exitCode = 1
})
