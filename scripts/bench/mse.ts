/**
 * Encryption (MSE/PE) cost: agent → agent plain (`encryption: off`) against RC4 (`require` on both sides), interleaved
 * round by round, beside libtorrent → libtorrent with pe_forced + rc4 as the reference; and the RC4 keystream alone,
 * the pure-JS one the agent runs against OpenSSL's (which Node 20 has only with --openssl-legacy-provider, so it is
 * timed in a child process started with that flag). Median of the rounds; the last stdout line is one JSON object.
 *
 *   npm run bench:mse [-- <MiB>]     size also via MSE_BENCH_MIB (default 256); MSE_BENCH_RUNS rounds (default 5)
 *   NODE_OPTIONS=--openssl-legacy-provider npm run bench:mse     the agent with OpenSSL's RC4, as bin/seedpay.js runs it
 *
 * Both engines run in this one process (as test/agent/swarm does), so the agent figures share one core's event loop
 * between sender and receiver; libtorrent runs as two processes.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { createTorrentFile, loadTorrent, TorrentEngine } from '../../agent/swarm/index.ts'
import { JsRc4, RC4_IMPLEMENTATION } from '../../agent/swarm/mse/index.ts'
import type { EncryptionPolicy } from '../../agent/swarm/mse/index.ts'
import { writeRandomFile } from '../../devtools/bench/random-file.ts'
import { LibtorrentClient, freePort, stopAllProcesses } from '../../devtools/clients/index.ts'
import { sha256 } from './swarm-pairs/debian-common.ts'

const logger = pino({ level: 'silent' })

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}
const r2 = (n: number): number => Math.round(n * 100) / 100

/** MiB/s of one keystream over 64 MiB in 256 KiB chunks, in place. */
function rc4Js (): number {
  const rc4 = new JsRc4(Buffer.alloc(20, 7))
  const buf = Buffer.alloc(256 * 1024)
  const t = process.hrtime.bigint()
  for (let k = 0; k < 256; k++) rc4.apply(buf)
  return 64 / (Number(process.hrtime.bigint() - t) / 1e9)
}

function rc4Native (): number | null {
  const here = fileURLToPath(new URL('../../agent/swarm/mse/rc4.ts', import.meta.url))
  const code = `import('${here}').then(m => { const c = new m.NativeRc4(Buffer.alloc(20, 7)); const b = Buffer.alloc(256 * 1024); const t = process.hrtime.bigint(); for (let k = 0; k < 256; k++) c.apply(b); console.log(64 / (Number(process.hrtime.bigint() - t) / 1e9)) })`
  try {
    return Number(execFileSync(process.execPath, ['--openssl-legacy-provider', '--import=tsx', '-e', code], { encoding: 'utf8' }).trim())
  } catch {
    return null
  }
}

async function agentRound (root: string, torrentPath: string, seedDir: string, policy: EncryptionPolicy, tag: string): Promise<number> {
  const torrent = await loadTorrent(torrentPath)
  if (torrent.kind !== 'torrent') throw new Error('bench torrent is not a .torrent')
  const seed = new TorrentEngine({ logger }, { torrent, dataDir: seedDir, host: '127.0.0.1', port: 0, encryption: policy })
  await seed.start()
  const out = join(root, `agent-${tag}`)
  const leech = new TorrentEngine({ logger }, { torrent, dataDir: out, host: '127.0.0.1', port: 0, peers: [seed.address], encryption: policy, seed: false })
  const done = new Promise<void>(resolve => leech.once('done', () => resolve()))
  const t0 = Date.now()
  await leech.start()
  await done
  const s = (Date.now() - t0) / 1000
  await leech.stop()
  await seed.stop()
  const got = await sha256(join(out, torrent.files[0]!.path))
  await rm(out, { recursive: true, force: true })
  if (got !== await sha256(join(seedDir, torrent.files[0]!.path))) throw new Error(`agent ${policy}: downloaded copy differs`)
  return torrent.length / 1e6 / s
}

async function libtorrentRound (root: string, torrentPath: string, seedDir: string, length: number, tag: string): Promise<number> {
  const seedAddr = { host: '127.0.0.2', port: await freePort('127.0.0.2') }
  const leechAddr = { host: '127.0.0.3', port: await freePort('127.0.0.3') }
  const seeder = new LibtorrentClient({ encryption: 'forced' })
  const leecher = new LibtorrentClient({ encryption: 'forced' })
  const out = join(root, `lt-${tag}`)
  await mkdir(out)
  try {
    await seeder.start(torrentPath, seedDir, seedAddr)
    await seeder.waitForComplete({ timeoutMs: 120_000 })
    const t0 = Date.now()
    await leecher.start(torrentPath, out, { ...leechAddr, seed: false, peers: [seedAddr] })
    await leecher.waitForComplete({ timeoutMs: 300_000 })
    return length / 1e6 / (((leecher.finishedAt ?? Date.now()) - t0) / 1000)
  } finally {
    await leecher.stop()
    await seeder.stop()
    await rm(out, { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  const mib = Number(process.argv[2] ?? process.env['MSE_BENCH_MIB'] ?? 256)
  const runs = Number(process.env['MSE_BENCH_RUNS'] ?? 5)
  const root = await mkdtemp(join(tmpdir(), 'seedpay-bench-mse-'))
  try {
    const seedDir = join(root, 'seed')
    await mkdir(seedDir)
    const dataPath = join(seedDir, `bench-${mib}MiB.bin`)
    await writeRandomFile(dataPath, mib * 1024 * 1024)
    const torrentPath = join(root, 'bench.torrent')
    await writeFile(torrentPath, await createTorrentFile(dataPath, { pieceLength: 256 * 1024 }))
    const length = mib * 1024 * 1024
    console.log(`mse bench: ${mib} MiB, ${runs} interleaved rounds, ${cpus().length} cores, node ${process.version}, agent RC4 ${RC4_IMPLEMENTATION}`)
    const plain: number[] = []
    const rc4: number[] = []
    const lt: number[] = []
    for (let k = 0; k < runs; k++) {
      plain.push(await agentRound(root, torrentPath, seedDir, 'off', `plain-${k}`))
      rc4.push(await agentRound(root, torrentPath, seedDir, 'require', `rc4-${k}`))
      lt.push(await libtorrentRound(root, torrentPath, seedDir, length, String(k)))
      console.log(`round ${k + 1}: agent plain ${r2(plain[k]!)} MB/s, agent rc4 ${r2(rc4[k]!)} MB/s, libtorrent rc4 ${r2(lt[k]!)} MB/s`)
    }
    const js = rc4Js()
    const native = rc4Native()
    const report = {
      mib,
      runs,
      agentPlainMBps: r2(median(plain)),
      agentRc4MBps: r2(median(rc4)),
      rc4CostPercent: r2(100 * (1 - median(rc4) / median(plain))),
      libtorrentRc4MBps: r2(median(lt)),
      rc4JsMiBps: r2(js),
      rc4NativeLegacyProviderMiBps: native === null ? null : r2(native),
      rc4InUse: RC4_IMPLEMENTATION,
      rounds: { agentPlain: plain.map(r2), agentRc4: rc4.map(r2), libtorrentRc4: lt.map(r2) }
    }
    console.log(JSON.stringify(report))
  } finally {
    await stopAllProcesses()
    await rm(root, { recursive: true, force: true })
  }
}

main().catch(err => { console.error(err); process.exitCode = 1 })
