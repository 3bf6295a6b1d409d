/**
 * npm run bench:stream — what streaming buys a person who seeks: a libtorrent seeder (python3-libtorrent) limited to
 * a home line's upload rate serves one file; each round, interleaved, (a) `seedpay stream` is spawned and curl asks
 * it for 10 MiB at a random offset (`-r`), timed from the spawn to curl's first byte and to its last, and (b)
 * `seedpay get` downloads the whole file, timed from spawn to exit (what a person waits for without streaming).
 * (test/e2e/stream-cli.test.ts shows ffprobe reading a real video through it; this measures the wait.)
 *
 *   npm run bench:stream [-- <MiB>]   file size (default 64); BENCH_RUNS=5; BENCH_RATE_MBPS=20 (seeder's upload, MB/s)
 *
 * The last stdout line is one JSON object.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { writeRandomFile } from '../../devtools/bench/random-file.ts'
import { round, spread } from '../../devtools/bench/stats.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { LibtorrentClient } from '../../devtools/clients/libtorrent.ts'
import { createTorrentFile } from '../../agent/swarm/index.ts'

const run = promisify(execFile)
const SEEK_BYTES = 10 * 1024 * 1024
const SEEDER = { host: '127.0.0.2', port: 51413 }

interface StreamRun { offset: number, startSeconds: number, firstByteSeconds: number, tenMiBSeconds: number }

async function curlRange (url: string, from: number, to: number): Promise<{ firstByte: number, total: number }> {
  const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '--max-time', '300', '-r', `${from}-${to}`, '-w', '%{http_code} %{time_starttransfer} %{time_total}', url])
  const [code, first, total] = stdout.trim().split(' ')
  if (code !== '206') throw new Error(`curl -r ${from}-${to} ${url}: HTTP ${code}`)
  return { firstByte: Number(first), total: Number(total) }
}

async function streamOnce (torrent: string, out: string, size: number): Promise<StreamRun> {
  const offset = Math.floor(Math.random() * (size - SEEK_BYTES))
  const spawnedAt = Date.now()
  const child = new SeedpayChild(['stream', torrent, '--out', out, '--peer', `${SEEDER.host}:${SEEDER.port}`, '--host', '127.0.0.3', '--http-port', '0'])
  try {
    const streaming = await child.next('streaming', 60_000)
    const startSeconds = (Date.now() - spawnedAt) / 1000
    const t = await curlRange(String(streaming['url']), offset, offset + SEEK_BYTES - 1)
    return { offset, startSeconds: round(startSeconds, 3), firstByteSeconds: round(startSeconds + t.firstByte, 3), tenMiBSeconds: round(startSeconds + t.total, 3) }
  } finally {
    await child.kill()
  }
}

async function getOnce (torrent: string, out: string): Promise<number> {
  const spawnedAt = Date.now()
  const child = new SeedpayChild(['get', torrent, '--out', out, '--peer', `${SEEDER.host}:${SEEDER.port}`, '--host', '127.0.0.3'])
  const code = await child.exited
  if (code !== 0) throw new Error(`get exited ${code}: ${child.stderr}`)
  return round((Date.now() - spawnedAt) / 1000, 3)
}

async function main (): Promise<void> {
  const mib = Number(process.argv[2] ?? 64)
  const runs = Number(process.env['BENCH_RUNS'] ?? 5)
  const rateMBps = Number(process.env['BENCH_RATE_MBPS'] ?? 20)
  const root = await mkdtemp(join(tmpdir(), 'seedpay-bench-stream-'))
  process.env['SEEDPAY_HOME'] ??= join(root, 'home')
  const seedDir = join(root, 'seed')
  await mkdir(seedDir, { recursive: true })
  const size = mib * 1024 * 1024
  await writeRandomFile(join(seedDir, 'movie.bin'), size)
  const torrentBuf = await createTorrentFile(join(seedDir, 'movie.bin'), { pieceLength: 256 * 1024 })
  const torrent = join(root, 'movie.torrent')
  await writeFile(torrent, torrentBuf)
  const seeder = new LibtorrentClient({ uploadRate: rateMBps * 1e6 })
  const streams: StreamRun[] = []
  const gets: number[] = []
  try {
    await seeder.start(torrent, seedDir, { host: SEEDER.host, port: SEEDER.port, seed: true })
    console.log(`stream bench: ${mib} MiB, libtorrent seeder limited to ${rateMBps} MB/s, ${runs} interleaved rounds, ${cpus().length} cores`)
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? ['stream', 'get'] : ['get', 'stream']
      for (const what of order) {
        const out = join(root, `out-${what}-${i}`)
        if (what === 'stream') {
          const r = await streamOnce(torrent, out, size)
          streams.push(r)
          console.log(`stream  seek to ${(r.offset / 1048576).toFixed(1)} MiB: first byte ${r.firstByteSeconds.toFixed(2)} s, 10 MiB ${r.tenMiBSeconds.toFixed(2)} s (listening ${r.startSeconds.toFixed(2)} s)`)
        } else {
          const s = await getOnce(torrent, out)
          gets.push(s)
          console.log(`get     whole file: ${s.toFixed(2)} s`)
        }
        await rm(out, { recursive: true, force: true })
      }
    }
    const summary = {
      firstByteSeconds: spread(streams.map(r => r.firstByteSeconds)),
      tenMiBAtSeekSeconds: spread(streams.map(r => r.tenMiBSeconds)),
      streamListeningSeconds: spread(streams.map(r => r.startSeconds)),
      wholeFileGetSeconds: spread(gets)
    }
    console.log(`first byte at a random seek ${summary.firstByteSeconds.median} s, 10 MiB there ${summary.tenMiBAtSeekSeconds.median} s; the whole file with get ${summary.wholeFileGetSeconds.median} s`)
    console.log(JSON.stringify({ bench: 'stream', date: new Date().toISOString(), sizeMiB: mib, seederRateMBps: rateMBps, runs, cores: cpus().length, summary, runsDetail: { streams, gets } }))
  } finally {
    await seeder.stop()
    await rm(root, { recursive: true, force: true })
  }
}

await main()
