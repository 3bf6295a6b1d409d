/**
 * Swarm throughput benchmark: one torrent, every pair in scripts/bench/swarm-pairs/ (sender → receiver over
 * 127.0.0.1), MB/s plus whatever each pair measures. Last stdout line is one JSON object.
 *
 *   npm run bench:swarm [-- <MiB>]          size also via SWARM_BENCH_MIB (default 256; 512 with --process)
 *   SWARM_BENCH_PIECE_KIB=256               piece length (default 256 KiB)
 *   SWARM_BENCH_PAIRS=agent-agent,debian-x  run only these pair files
 *
 * Whole-process mode, the downloader timed from spawn to exit as a user waits for it (swarm-process.ts):
 *   npm run bench:swarm -- --process [<MiB>]   or SWARM_BENCH_MODE=process
 *   SWARM_BENCH_RUNS=5                          interleaved rounds (default 5)
 *   pairs default to those with a whole-process mode: agent-agent, debian-lt-lt, libtorrent-agent
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTorrentFile } from '../../agent/swarm/index.ts'
import { writeRandomFile } from '../../devtools/bench/random-file.ts'
import type { SwarmPair, PairResult } from './swarm-pairs/types.ts'
import { printProcessReport, runProcessMode, TARGET_MEDIAN_RATIO, TARGET_MIN_RATIO } from './swarm-process.ts'

const PAIRS_DIR = fileURLToPath(new URL('./swarm-pairs/', import.meta.url))
const NOT_PAIRS = new Set(['types.ts'])

async function loadPairs (only: string[] | null): Promise<Array<{ file: string, pair: SwarmPair }>> {
  const files = (await readdir(PAIRS_DIR)).filter(f => f.endsWith('.ts') && !NOT_PAIRS.has(f)).sort()
  const out: Array<{ file: string, pair: SwarmPair }> = []
  for (const file of files) {
    const id = file.replace(/\.ts$/, '')
    if (only !== null && !only.includes(id)) continue
    const mod = await import(join(PAIRS_DIR, file)) as { pair?: SwarmPair, pairs?: SwarmPair[] }
    for (const pair of mod.pairs ?? (mod.pair !== undefined ? [mod.pair] : [])) out.push({ file: id, pair })
  }
  return out
}

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const wholeProcess = args.includes('--process') || process.env['SWARM_BENCH_MODE'] === 'process'
  const sizeArg = args.find(a => a !== '--process')
  const mib = Number(sizeArg ?? process.env['SWARM_BENCH_MIB'] ?? (wholeProcess ? 512 : 256))
  const pieceKiB = Number(process.env['SWARM_BENCH_PIECE_KIB'] ?? 256)
  const runs = Number(process.env['SWARM_BENCH_RUNS'] ?? 5)
  if (!Number.isInteger(mib) || mib <= 0) throw new Error(`size must be a positive number of MiB, got ${String(sizeArg)}`)
  if (!Number.isInteger(runs) || runs <= 0) throw new Error(`SWARM_BENCH_RUNS must be a positive integer, got ${String(process.env['SWARM_BENCH_RUNS'])}`)
  const only = process.env['SWARM_BENCH_PAIRS']?.split(',').map(s => s.trim()).filter(s => s !== '') ?? null
  const root = await mkdtemp(join(tmpdir(), 'seedpay-bench-swarm-'))
  const results: Record<string, PairResult | { error: string }> = {}
  try {
    const dataPath = join(root, `bench-${mib}MiB.bin`)
    await writeRandomFile(dataPath, mib * 1024 * 1024)
    const torrentPath = join(root, 'bench.torrent')
    await writeFile(torrentPath, await createTorrentFile(dataPath, { pieceLength: pieceKiB * 1024 }))
    const loaded = await loadPairs(only)
    if (wholeProcess) {
      const pairs = loaded.map(p => p.pair).filter(p => p.runProcess !== undefined)
      console.log(`swarm bench, whole-process mode: ${mib} MiB, ${pieceKiB} KiB pieces, ${pairs.length} pairs × ${runs} interleaved rounds, ${cpus().length} cores`)
      const report = await runProcessMode(pairs, torrentPath, dataPath, runs)
      printProcessReport(report)
      const agent = report.ratios['agent→agent']
      const target = agent?.ofMedians == null || agent.min === null
        ? null
        : { medianRatio: TARGET_MEDIAN_RATIO, minRatio: TARGET_MIN_RATIO, met: agent.ofMedians >= TARGET_MEDIAN_RATIO && agent.min >= TARGET_MIN_RATIO }
      console.log(JSON.stringify({ bench: 'swarm', mode: 'process', date: new Date().toISOString(), sizeMiB: mib, pieceKiB, runs, cores: cpus().length, ...report, target }))
      return
    }
    const pairs = loaded
    console.log(`swarm bench: ${mib} MiB, ${pieceKiB} KiB pieces, ${pairs.length} pairs, ${cpus().length} cores`)
    for (const { file, pair } of pairs) {
      try {
        const r = await pair.run(torrentPath, dataPath)
        results[pair.name] = r
        console.log(`${pair.name.padEnd(32)} ${r.mbps.toFixed(1).padStart(8)} MB/s  ${JSON.stringify(r)}`)
      } catch (err) {
        results[pair.name] = { error: (err as Error).message.slice(0, 500) }
        console.log(`${pair.name.padEnd(32)}   failed  (${file}): ${(err as Error).message.slice(0, 200)}`)
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
  console.log(JSON.stringify({ bench: 'swarm', date: new Date().toISOString(), sizeMiB: mib, pieceKiB, results }))
}

main().catch(err => {
  console.error(`bench:swarm failed: ${(err as Error).message}`)
  process.exitCode = 1
})
