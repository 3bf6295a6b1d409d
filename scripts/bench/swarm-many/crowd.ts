/**
 * 200 connections: one seeder (the agent's `seedpay seed`, or lt_client.py) that a crowd of libtorrent sessions
 * dials at once, each session on its own loopback address, in a few python processes (devtools/clients/lt_crowd.py).
 * The crowd has no tracker and no PEX, so every byte comes from the seeder: the seeder holds every connection
 * and serves the whole crowd. Measured: each peer's dial → done, the seeder's CPU, peak RSS, most connections
 * held at once, why connections closed (agent), and its event loop's lag and utilization (agent).
 */
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { LibtorrentClient, LtCrowd } from '../../../devtools/clients/index.ts'
import type { JsonEvent } from '../../../devtools/seedpay-child.ts'
import type { Children } from './children.ts'
import { awaitLater, withDeadline } from './children.ts'
import { SEEDER_HOST, crowdHost } from './hosts.ts'
import type { CrowdRun, ProcessUsage } from './results.ts'
import { loopMonitorFlag } from './setup.ts'
import { round } from '../../../devtools/bench/stats.ts'

export interface CrowdSetup {
  root: string
  /** A torrent without trackers; `data` holds its file. */
  torrent: string
  data: string
  bytes: number
  peers: number
  /** Python processes the crowd is split over. */
  processes: number
  /** Swarm leechers' addresses come first; the crowd's follow. */
  leechers: number
  timeoutMs: number
  children: Children
}

/** Room above the crowd for the seeder's connection limit, so no dial is refused for the limit. */
const LIMIT_HEADROOM = 50
/** SWARM_MANY_SEEDER_LIMIT=<n>: the seeder's connection limit instead (e.g. the agent's default, 50, to see refusals). */
const limitFor = (peers: number): number => Number(process.env['SWARM_MANY_SEEDER_LIMIT'] ?? peers + LIMIT_HEADROOM)

interface Seeder {
  address: string
  usage: () => Promise<ProcessUsage>
  /** Most connections open at once. */
  peak: () => number
  /** When each distinct peer host first connected (ms), where the seeder reports it (agent). */
  firstConnects: () => number[]
  extra: () => Promise<Record<string, unknown>>
  stop: () => Promise<void>
}

async function agentSeeder (c: CrowdSetup, dir: string): Promise<Seeder> {
  const loopFile = join(dir, 'seeder-loop.json')
  let peak = 0
  const open = new Set<string>()
  const first = new Map<string, number>()
  const closes = new Map<string, number>()
  const child = c.children.spawn(['seed', c.torrent, '--data', c.data, '--host', SEEDER_HOST, '--port', '0', '--max-peers', String(limitFor(c.peers)),
    '--log-file', join(dir, 'seed.log')], {
    nodeFlags: [loopMonitorFlag(loopFile)],
    onEvent: (e: JsonEvent) => {
      if (e.event === 'peer:connect') {
        const address = String(e['address'])
        open.add(address)
        peak = Math.max(peak, open.size)
        // by host: a crowd peer that redials comes from another port
        const host = address.replace(/:\d+$/, '')
        if (!first.has(host)) first.set(host, Date.parse(e.time))
      }
      if (e.event === 'peer:close') {
        open.delete(String(e['address']))
        // "both seeding" is how a finished peer leaves; anything else (a timeout, a refusal, a violation) is counted by reason.
        const reason = String(e['reason']).replace(/\d+/g, 'N')
        closes.set(reason, (closes.get(reason) ?? 0) + 1)
      }
    }
  })
  const listening = await child.next('listening')
  let exit: Promise<JsonEvent> | null = null
  return {
    address: `${SEEDER_HOST}:${String(listening['port'])}`,
    peak: () => peak,
    firstConnects: () => [...first.values()],
    stop: async () => { exit ??= awaitLater(child.next('exit', 60_000)); await child.stop() },
    usage: async () => {
      const e = await (exit ?? child.next('exit', 60_000))
      return { cpuMs: Number(e['cpuUserMs']) + Number(e['cpuSystemMs']), sysMs: Number(e['cpuSystemMs']), maxRssMiB: Number(e['maxRssMiB']), uploaded: Number(e['uploaded']) }
    },
    extra: async () => ({ closes: Object.fromEntries(closes), loop: await readJson(loopFile) })
  }
}

async function libtorrentSeeder (c: CrowdSetup): Promise<Seeder> {
  // libtorrent's listen backlog defaults to 5: 200 dials at once would wait on SYN retries, which measures the
  // kernel, not the seeder. The agent (Node) listens with a backlog of 511.
  const lt = new LibtorrentClient({ connectionsLimit: limitFor(c.peers), listenQueue: c.peers + LIMIT_HEADROOM })
  await lt.start(c.torrent, c.data, { host: SEEDER_HOST, port: 0 })
  let peak = 0
  const timer = setInterval(() => { void lt.progress().then(p => { peak = Math.max(peak, p.peers ?? 0) }) }, 200)
  const address = /"port": (\d+)/.exec(lt.output())
  if (address === null) throw new Error(`libtorrent seeder printed no port: ${lt.output().slice(-500)}`)
  return {
    address: `${SEEDER_HOST}:${address[1]!}`,
    peak: () => peak,
    firstConnects: () => [],
    stop: async () => { clearInterval(timer); await lt.stop() },
    usage: async () => {
      const u = lt.usage
      if (u === null) throw new Error(`libtorrent seeder reported no usage: ${lt.output().slice(-500)}`)
      return { cpuMs: u.cpuUserMs + u.cpuSystemMs, sysMs: u.cpuSystemMs, maxRssMiB: u.maxRssMiB, uploaded: u.uploaded }
    },
    extra: async () => ({})
  }
}

export async function crowdRun (c: CrowdSetup, seederKind: 'agent' | 'libtorrent', run: number): Promise<CrowdRun> {
  const shape = `crowd-${seederKind}`
  const dir = join(c.root, `${shape}-${run}`)
  await mkdir(dir, { recursive: true })
  const crowds: LtCrowd[] = []
  let seeder: Seeder | null = null
  try {
    seeder = seederKind === 'agent' ? await agentSeeder(c, dir) : await libtorrentSeeder(c)
    const per = Math.ceil(c.peers / c.processes)
    for (let first = 0; first < c.peers; first += per) {
      const hosts = Array.from({ length: Math.min(per, c.peers - first) }, (_v, k) => crowdHost(first + k, c.leechers))
      crowds.push(new LtCrowd({ torrentPath: c.torrent, saveRoot: join(dir, 'crowd'), hosts, firstIndex: first, peers: [seeder.address], timeoutS: c.timeoutMs / 1000 }))
    }
    await Promise.all(crowds.map(async k => { await k.whenReady() }))
    const t0 = Date.now()
    for (const k of crowds) k.go()
    await withDeadline(Promise.all(crowds.map(async k => { await k.exited() })), c.timeoutMs + 30_000, () => `${shape}: crowd not done`)
    const finished = crowds.flatMap(k => [...k.finishedAt.values()])
    if (finished.length < c.peers) {
      throw new Error(`${shape}: ${c.peers - finished.length} of ${c.peers} crowd peers did not finish; ${crowds.flatMap(k => k.errors).slice(0, 5).join('; ')}`)
    }
    const peak = seeder.peak()
    const connects = seeder.firstConnects()
    const allConnectedS = connects.length >= c.peers ? round((Math.max(...connects) - t0) / 1000, 2) : null
    await seeder.stop()
    const usage = await seeder.usage()
    return {
      shape,
      bytes: c.bytes,
      peers: c.peers,
      peerS: finished.map(t => (t - t0) / 1000),
      lastS: (Math.max(...finished) - t0) / 1000,
      seeder: usage,
      peakConnections: peak,
      crowdCpuMs: crowds.reduce((a, k) => a + (k.usage?.cpuUserMs ?? 0) + (k.usage?.cpuSystemMs ?? 0), 0),
      extra: { ...await seeder.extra(), ...(allConnectedS !== null ? { allConnectedS } : {}), crowdMaxRssMiB: Math.max(...crowds.map(k => k.usage?.maxRssMiB ?? 0)) }
    }
  } finally {
    await Promise.all([...crowds.map(async k => { await k.stop() }), seeder?.stop()])
    await rm(join(dir, 'crowd'), { recursive: true, force: true })
  }
}

async function readJson (file: string): Promise<unknown> {
  try { return JSON.parse(await readFile(file, 'utf8')) as unknown } catch { return null }
}
