/**
 * npm run bench:daemon — what the daemon costs and what it moves, as processes on loopback:
 * 1. idle: a daemon with 50 torrents (1 MiB each) from its config; time to its `daemon` line (hashing included),
 *    then its RSS and CPU over `BENCH_IDLE_S` seconds of doing nothing (from /proc, the way `top` sees it);
 * 2. three at once: three torrents (`<MiB>` each) downloaded by three `seedpay get`s at the same time (each on its own
 *    127.0.0.x), from one daemon serving all three on one port, against three one-shot `seedpay seed`s in the same
 *    run, interleaved, `BENCH_RUNS` rounds; aggregate MB/s = 3 × size ÷ (first get spawned → last get exited).
 *
 *   npm run bench:daemon [-- <MiB>]    size of each of the three (default 128); BENCH_RUNS=3; BENCH_IDLE_S=20
 *
 * The last stdout line is one JSON object.
 */
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeRandomFile } from '../../devtools/bench/random-file.ts'
import { round, spread } from '../../devtools/bench/stats.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { createTorrentFile } from '../../agent/swarm/index.ts'

const TICKS_PER_SECOND = 100

/** user + system CPU seconds and RSS of a live process, from /proc. */
function procUsage (pid: number): { cpuS: number, rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return { cpuS, rssMiB: round(Number(rss?.[1] ?? 0) / 1024, 1) }
}

async function torrentFor (dir: string, name: string, bytes: number): Promise<string> {
  await writeRandomFile(join(dir, name), bytes)
  const file = join(dir, `${name}.torrent`)
  await writeFile(file, await createTorrentFile(join(dir, name), { pieceLength: 256 * 1024 }))
  return file
}

async function idle (root: string, idleS: number): Promise<Record<string, unknown>> {
  const data = join(root, 'idle')
  await mkdir(data)
  const lines = ['[daemon]', 'listen = "127.0.0.2:0"', 'api = "127.0.0.1:0"', 'log-level = "warn"', '']
  for (let i = 0; i < 50; i++) {
    const file = await torrentFor(data, `t${i}.bin`, 1024 * 1024)
    lines.push('[[torrent]]', `file = "${file}"`, `data = "${data}"`, '')
  }
  const config = join(root, 'idle.toml')
  await writeFile(config, lines.join('\n'))
  const t0 = process.hrtime.bigint()
  const d = new SeedpayChild(['daemon', '--config', config])
  try {
    const started = await d.next('daemon', 120_000)
    const startS = Number(process.hrtime.bigint() - t0) / 1e9
    if (started['seeding'] !== 50) throw new Error(`the idle daemon seeds ${String(started['seeding'])} of 50`)
    const pid = d.proc.pid!
    const before = procUsage(pid)
    await new Promise(resolve => setTimeout(resolve, idleS * 1000))
    const after = procUsage(pid)
    return { torrents: 50, startSeconds: round(startS, 2), startCpuS: before.cpuS, rssMiB: after.rssMiB, idleSeconds: idleS, idleCpuPercent: round((after.cpuS - before.cpuS) / idleS * 100, 2) }
  } finally {
    await d.stop()
  }
}

type Mode = 'daemon' | 'three seeders'

async function threeAtOnce (mode: Mode, torrents: string[], data: string, root: string, bytes: number, n: number): Promise<{ mode: Mode, seconds: number, mbps: number, seederCpuS: number }> {
  const servers: SeedpayChild[] = []
  const addresses: string[] = []
  try {
    if (mode === 'daemon') {
      const config = join(root, `three-${n}.toml`)
      await writeFile(config, ['[daemon]', 'listen = "127.0.0.2:0"', 'api = "127.0.0.1:0"', 'log-level = "warn"', '',
        ...torrents.flatMap(t => ['[[torrent]]', `file = "${t}"`, `data = "${data}"`, ''])].join('\n'))
      const d = new SeedpayChild(['daemon', '--config', config])
      servers.push(d)
      const started = await d.next('daemon', 120_000)
      for (let i = 0; i < 3; i++) addresses.push(String(started['listen']))
    } else {
      for (const [i, t] of torrents.entries()) {
        const s = new SeedpayChild(['seed', t, '--data', data, '--host', `127.0.0.${2 + i * 10}`, '--port', '0'])
        servers.push(s)
        const l = await s.next('listening', 120_000)
        addresses.push(`127.0.0.${2 + i * 10}:${String(l['port'])}`)
      }
    }
    const cpuBefore = servers.reduce((c, s) => c + procUsage(s.proc.pid!).cpuS, 0)
    const t0 = process.hrtime.bigint()
    const gets = torrents.map((t, i) => new SeedpayChild(['get', t, '--out', join(root, `out-${n}-${i}`), '--host', `127.0.0.${100 + i}`, '--peer', addresses[i]!]))
    const codes = await Promise.all(gets.map(async g => await g.exited))
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    codes.forEach((c, i) => { if (c !== 0) throw new Error(`get ${i} exited ${c}: ${gets[i]!.stderr}`) })
    const seederCpuS = servers.reduce((c, s) => c + procUsage(s.proc.pid!).cpuS, 0) - cpuBefore
    return { mode, seconds: round(seconds, 3), mbps: round(3 * bytes / 1e6 / seconds, 1), seederCpuS: round(seederCpuS, 2) }
  } finally {
    await Promise.all(servers.map(async s => await s.stop()))
    for (let i = 0; i < 3; i++) await rm(join(root, `out-${n}-${i}`), { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  const mib = Number(process.argv[2] ?? 128)
  const runs = Number(process.env['BENCH_RUNS'] ?? 3)
  const idleS = Number(process.env['BENCH_IDLE_S'] ?? 20)
  if (!Number.isInteger(mib) || mib <= 0) throw new Error(`size must be a positive number of MiB, got ${String(process.argv[2])}`)
  const root = await mkdtemp(join(tmpdir(), 'seedpay-bench-daemon-'))
  process.env['SEEDPAY_HOME'] = join(root, 'home')
  await mkdir(process.env['SEEDPAY_HOME'])
  try {
    console.log(`daemon bench: idle with 50 torrents for ${idleS} s; then 3 × ${mib} MiB at once, ${runs} rounds, ${cpus().length} cores`)
    const idleResult = await idle(root, idleS)
    console.log(`idle: 50 torrents, up in ${String(idleResult['startSeconds'])} s, RSS ${String(idleResult['rssMiB'])} MiB, CPU ${String(idleResult['idleCpuPercent'])} % idle`)
    const data = join(root, 'three')
    await mkdir(data)
    const torrents = await Promise.all([0, 1, 2].map(async i => await torrentFor(data, `big${i}.bin`, mib * 1024 * 1024)))
    const all: Array<Awaited<ReturnType<typeof threeAtOnce>>> = []
    for (let i = 0; i < runs; i++) {
      const order: Mode[] = i % 2 === 0 ? ['daemon', 'three seeders'] : ['three seeders', 'daemon']
      for (const mode of order) {
        const r = await threeAtOnce(mode, torrents, data, root, mib * 1024 * 1024, i)
        all.push(r)
        console.log(`${mode.padEnd(13)} ${r.mbps.toFixed(1).padStart(7)} MB/s aggregate (${r.seconds.toFixed(2)} s)  serving CPU ${r.seederCpuS} s`)
      }
    }
    const of = (mode: Mode, k: 'mbps' | 'seconds' | 'seederCpuS'): ReturnType<typeof spread> => spread(all.filter(r => r.mode === mode).map(r => r[k]))
    const summary = Object.fromEntries((['daemon', 'three seeders'] as const).map(m => [m, { mbps: of(m, 'mbps'), seconds: of(m, 'seconds'), seederCpuS: of(m, 'seederCpuS') }]))
    const ratio = round(summary['daemon']!.mbps.median / summary['three seeders']!.mbps.median, 3)
    console.log(`daemon ÷ three seeders, aggregate: ${ratio}`)
    console.log(JSON.stringify({ bench: 'daemon', date: new Date().toISOString(), sizeMiB: mib, runs, cores: cpus().length, idle: idleResult, ratio, summary, runsDetail: all }))
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(`bench:daemon failed: ${(err as Error).message}`)
  process.exitCode = 1
})
