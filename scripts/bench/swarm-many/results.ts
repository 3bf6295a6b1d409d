/** What one run of a many-peer shape measured, and the figures made from it. */
import { round, spread, type Spread } from '../../../devtools/bench/stats.ts'

const GIB = 1024 ** 3

/** One leecher of a swarm run, timed as a person waits (spawn → holding every verified piece). */
export interface Leecher {
  host: string
  spawnToDoneS: number
  /** From the process listening to done: the transfer without start-up. */
  transferS: number
  cpuMs: number
  /** Of cpuMs, the kernel's (socket and page-cache copies): what no user-space change moves. */
  sysMs: number
  maxRssMiB: number
  downloaded: number
  uploaded: number
  /** CPU spent before it listened (start-up) and between listening and done (the transfer); null where not measured. */
  startupCpuMs: number | null
  transferCpuMs: number | null
  /** RSS when it started listening (what start-up alone holds); null where not measured. */
  listeningRssMiB: number | null
}

/** A process's own account of itself (`exit` event, getrusage). */
export interface ProcessUsage { cpuMs: number, sysMs: number, maxRssMiB: number, uploaded: number }

export interface SwarmRun {
  shape: string
  bytes: number
  leechers: Leecher[]
  seeder: ProcessUsage
  /** First spawn → last leecher done. */
  lastS: number
  /** Anything the shape adds (paid: receipts and settlement; agent: the seeder's event-loop health). */
  extra?: Record<string, unknown>
}

export interface SwarmFigures {
  aggregateMBps: number
  lastS: number
  medianLeecherS: number
  medianTransferS: number
  /** Leecher CPU (user + sys) per GiB it downloaded: mean (= all leechers' CPU ÷ all bytes) and the worst leecher. */
  cpuPerGiBS: number
  maxCpuPerGiBS: number
  /** Of cpuPerGiBS, the kernel's share (mean over the leechers). */
  sysCpuPerGiBS: number
  /** Leechers' median CPU before listening, and their CPU from listening to done per GiB (agent only; NaN otherwise). */
  startupCpuS: number
  transferCpuPerGiBS: number
  maxLeecherRssMiB: number
  /** The leechers' median RSS when they started listening (agent only; NaN otherwise). */
  listeningRssMiB: number
  /** What the seeder uploaded ÷ what the leechers downloaded: below 1, the leechers traded among themselves. */
  seederShare: number
  seederCpuS: number
  seederRssMiB: number
}

export function swarmFigures (r: SwarmRun): SwarmFigures {
  const n = r.leechers.length
  const cpuPerGiB = r.leechers.map(l => l.cpuMs / 1000 / (r.bytes / GIB))
  return {
    aggregateMBps: round(n * r.bytes / 1e6 / r.lastS, 1),
    lastS: round(r.lastS, 2),
    medianLeecherS: spread(r.leechers.map(l => l.spawnToDoneS)).median,
    medianTransferS: spread(r.leechers.map(l => l.transferS)).median,
    cpuPerGiBS: round(cpuPerGiB.reduce((a, b) => a + b, 0) / n, 2),
    maxCpuPerGiBS: round(Math.max(...cpuPerGiB), 2),
    sysCpuPerGiBS: round(r.leechers.reduce((a, l) => a + l.sysMs, 0) / 1000 / n / (r.bytes / GIB), 2),
    startupCpuS: measured(r.leechers.map(l => l.startupCpuMs), v => spread(v).median / 1000),
    transferCpuPerGiBS: measured(r.leechers.map(l => l.transferCpuMs), v => v.reduce((a, b) => a + b, 0) / v.length / 1000 / (r.bytes / GIB)),
    maxLeecherRssMiB: Math.max(...r.leechers.map(l => l.maxRssMiB)),
    listeningRssMiB: measured(r.leechers.map(l => l.listeningRssMiB), v => spread(v).median),
    seederShare: round(r.seeder.uploaded / (n * r.bytes), 3),
    seederCpuS: round(r.seeder.cpuMs / 1000, 2),
    seederRssMiB: r.seeder.maxRssMiB
  }
}

function measured (values: ReadonlyArray<number | null>, f: (v: number[]) => number): number {
  const v = values.filter((x): x is number => x !== null)
  return v.length === values.length && v.length > 0 ? round(f(v), 2) : NaN
}

/** One run of the 200-connection shape: a crowd of peers dialling one seeder at once. */
export interface CrowdRun {
  shape: string
  bytes: number
  peers: number
  /** Each crowd peer, dial → holding every piece, seconds. */
  peerS: number[]
  /** Dial → last peer done. */
  lastS: number
  seeder: ProcessUsage
  /** Most connections the seeder reported at once. */
  peakConnections: number
  /** The crowd processes' own CPU and RSS (they download; the seeder is what is measured). */
  crowdCpuMs: number
  extra?: Record<string, unknown>
}

export interface CrowdFigures {
  aggregateMBps: number
  lastS: number
  medianPeerS: number
  peakConnections: number
  seederCpuS: number
  seederCpuPerGiBS: number
  seederRssMiB: number
}

export function crowdFigures (r: CrowdRun): CrowdFigures {
  const served = r.peers * r.bytes
  return {
    aggregateMBps: round(served / 1e6 / r.lastS, 1),
    lastS: round(r.lastS, 2),
    medianPeerS: spread(r.peerS).median,
    peakConnections: r.peakConnections,
    seederCpuS: round(r.seeder.cpuMs / 1000, 2),
    seederCpuPerGiBS: round(r.seeder.cpuMs / 1000 / (served / GIB), 2),
    seederRssMiB: r.seeder.maxRssMiB
  }
}

/** Medians (with range) of each figure over a shape's runs. */
export function medians<T extends object> (figures: readonly T[]): Record<keyof T, Spread> {
  const out: Partial<Record<keyof T, Spread>> = {}
  const first = figures[0]
  if (first === undefined) return out as Record<keyof T, Spread>
  for (const k of Object.keys(first) as Array<keyof T>) out[k] = spread(figures.map(f => Number(f[k])))
  return out as Record<keyof T, Spread>
}
