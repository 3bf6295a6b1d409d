/**
 * bench:swarm's whole-process mode: every pair's downloader timed as a process from spawn to exit (start-up
 * included), `runs` interleaved rounds with the pair order rotating each round so no pair always runs first
 * (or after the same neighbour), medians and ranges, and every pair's ratio to libtorrent → libtorrent: per
 * round (same minute, same load) and of the medians.
 */
import { loadavg } from 'node:os'
import { spread, round, type Spread } from '../../devtools/bench/stats.ts'
import type { PairResult, SwarmPair } from './swarm-pairs/types.ts'

/** The reference every other pair is divided by. */
export const REFERENCE_PAIR = 'libtorrent→libtorrent'
/** Issue 11's bar for agent → agent in this mode: the median ratio, and the lowest any round may show. */
export const TARGET_MEDIAN_RATIO = 1.2
export const TARGET_MIN_RATIO = 1.0

export interface ProcessRun { round: number, load1: number, result?: PairResult, error?: string }
export interface PairSummary { runs: ProcessRun[], mbps: Spread, seconds: Spread }
export interface RatioSummary { perRound: Array<number | null>, ofMedians: number | null, min: number | null, max: number | null }
export interface ProcessReport { pairs: Record<string, PairSummary>, ratios: Record<string, RatioSummary>, load1: { start: number, end: number } }

export async function runProcessMode (pairs: SwarmPair[], torrentPath: string, dataPath: string, runs: number): Promise<ProcessReport> {
  const runsOf = new Map<string, ProcessRun[]>(pairs.map(p => [p.name, []]))
  const start = load1()
  for (let r = 0; r < runs; r++) {
    const order = pairs.map((_, k) => pairs[(k + r) % pairs.length]!)
    for (const pair of order) {
      const run: ProcessRun = { round: r + 1, load1: load1() }
      try {
        run.result = await pair.runProcess!(torrentPath, dataPath)
        console.log(`round ${r + 1}  ${pair.name.padEnd(24)} ${run.result.mbps.toFixed(1).padStart(7)} MB/s  load ${run.load1}  ${JSON.stringify(run.result)}`)
      } catch (err) {
        run.error = (err as Error).message.slice(0, 500)
        console.log(`round ${r + 1}  ${pair.name.padEnd(24)}  failed: ${run.error.slice(0, 200)}`)
      }
      runsOf.get(pair.name)!.push(run)
    }
  }
  const summaries: Record<string, PairSummary> = {}
  for (const [name, rs] of runsOf) {
    const ok = rs.map(x => x.result).filter((x): x is PairResult => x !== undefined)
    summaries[name] = { runs: rs, mbps: spread(ok.map(x => x.mbps)), seconds: spread(ok.map(x => x.seconds)) }
  }
  return { pairs: summaries, ratios: ratios(summaries, runs), load1: { start, end: load1() } }
}

function ratios (s: Record<string, PairSummary>, runs: number): Record<string, RatioSummary> {
  const ref = s[REFERENCE_PAIR]
  const out: Record<string, RatioSummary> = {}
  if (ref === undefined) return out
  const refByRound = byRound(ref, runs)
  for (const [name, summary] of Object.entries(s)) {
    if (name === REFERENCE_PAIR) continue
    const mine = byRound(summary, runs)
    const perRound = mine.map((v, k) => {
      const r = refByRound[k] ?? null
      return v === null || r === null ? null : round(v / r)
    })
    const known = perRound.filter((x): x is number => x !== null)
    out[name] = {
      perRound,
      ofMedians: Number.isFinite(summary.mbps.median) && ref.mbps.median > 0 ? round(summary.mbps.median / ref.mbps.median) : null,
      min: known.length > 0 ? Math.min(...known) : null,
      max: known.length > 0 ? Math.max(...known) : null
    }
  }
  return out
}

function byRound (s: PairSummary, runs: number): Array<number | null> {
  const out = new Array<number | null>(runs).fill(null)
  for (const r of s.runs) if (r.result !== undefined) out[r.round - 1] = r.result.mbps
  return out
}

/** The table a person reads; the JSON line after it is for machines. */
export function printProcessReport (report: ProcessReport): void {
  console.log(`\n${'pair'.padEnd(24)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}  MB/s, spawn → exit, n runs`)
  for (const [name, s] of Object.entries(report.pairs)) {
    console.log(`${name.padEnd(24)} ${s.mbps.median.toFixed(1).padStart(8)} ${s.mbps.min.toFixed(1).padStart(8)} ${s.mbps.max.toFixed(1).padStart(8)}  n=${s.mbps.n}`)
  }
  for (const [name, r] of Object.entries(report.ratios)) {
    console.log(`${name} ÷ ${REFERENCE_PAIR}: per round ${r.perRound.map(x => x?.toFixed(2) ?? '—').join(' / ')}; of the medians ${r.ofMedians?.toFixed(2) ?? '—'}`)
  }
  const a = report.ratios['agent→agent']
  if (a !== undefined && a.ofMedians !== null && a.min !== null) {
    const met = a.ofMedians >= TARGET_MEDIAN_RATIO && a.min >= TARGET_MIN_RATIO
    console.log(`target (agent→agent ÷ ${REFERENCE_PAIR}: median ≥ ${TARGET_MEDIAN_RATIO}, no round < ${TARGET_MIN_RATIO}): ${met ? 'met' : 'not met'}`)
  }
  console.log(`load average (1 min): ${report.load1.start} at start, ${report.load1.end} at end`)
}

function load1 (): number { return round(loadavg()[0]!) }
