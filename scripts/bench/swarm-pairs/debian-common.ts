/**
 * Shared plumbing for the Debian-client pairs (debian-*.ts, agent-aria2.ts, transmission-*.ts). Exports no
 * `pair`, so the runner loads it as a pair file with nothing in it.
 *
 * Timing: from the moment the downloader is up (RPC answers / libtorrent session listening / agent's
 * `listening` event) to the moment it holds every verified piece, like agent-agent.ts. In whole-process mode
 * (`runProcess`, libtorrent downloaders only: it can exit when done) from its spawn to its exit.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { stat } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { freePort, stopAllProcesses, startJsTracker, type BitTorrentClient, type JsTracker } from '../../../devtools/clients/index.ts'
import { LibtorrentClient } from '../../../devtools/clients/libtorrent.ts'
import type { PairResult, SwarmPair } from './types.ts'

/** A slow Transmission seeder moves 256 MiB in about a minute; give every pair five. */
export const PAIR_TIMEOUT_MS = 300_000
export const SEED_HOST = '127.0.0.2'
export const LEECH_HOST = '127.0.0.3'

export async function addresses (): Promise<{ seed: { host: string, port: number }, leech: { host: string, port: number } }> {
  return { seed: { host: SEED_HOST, port: await freePort(SEED_HOST) }, leech: { host: LEECH_HOST, port: await freePort(LEECH_HOST) } }
}

export function round (n: number): number { return Math.round(n * 100) / 100 }

/**
 * Poll a harness every 50 ms until it is complete. `mbps` counts from `startedAt` (downloader up), like
 * agent-agent.ts; `mbpsAfterFirstByte` leaves out connection set-up and the seeder's first unchoke, which for
 * Transmission 3 waits for its 10 s rechoke timer and otherwise swamps a short transfer.
 */
export async function timeLeecher (client: BitTorrentClient, startedAt: number, length: number): Promise<PairResult> {
  const deadline = startedAt + PAIR_TIMEOUT_MS
  let firstByte: number | null = null
  while (true) {
    const p = await client.progress().catch(() => null)
    const now = Date.now()
    if (p !== null && p.fraction > 0 && firstByte === null) firstByte = now
    if (p?.complete === true) {
      const lt = client instanceof LibtorrentClient ? client : null
      const end = lt?.finishedAt ?? now
      const first = lt?.firstByteAt ?? firstByte
      return result(length, startedAt, first, end)
    }
    if (now > deadline) throw new Error(`${client.name} did not finish in ${PAIR_TIMEOUT_MS} ms (at ${Math.round((p?.fraction ?? 0) * 100)}%); log tail:\n${client.output().slice(-1500)}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

export function result (length: number, startedAt: number, firstByte: number | null, end: number): PairResult {
  const seconds = (end - startedAt) / 1000
  const after = firstByte === null ? null : (end - firstByte) / 1000
  return {
    mbps: round(length / 1e6 / seconds),
    seconds: round(seconds),
    firstByteSeconds: firstByte === null ? null : round((firstByte - startedAt) / 1000),
    mbpsAfterFirstByte: after === null || after <= 0 ? null : round(length / 1e6 / after)
  }
}

export async function sha256 (file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** The downloaded copy must be byte-identical; a fast wrong answer is no answer. */
export async function checkCopy (original: string, copy: string): Promise<void> {
  const [a, b] = await Promise.all([stat(original), stat(copy)])
  if (a.size !== b.size) throw new Error(`downloaded ${b.size} bytes, expected ${a.size}`)
  if (await sha256(original) !== await sha256(copy)) throw new Error('downloaded file differs from the original (SHA-256)')
}

/**
 * Run `body` with a temp download dir and (if asked) an in-process tracker; always stops every client and
 * process, even on failure.
 */
export async function withPair<T> (needTracker: boolean, clients: Array<{ stop: () => Promise<unknown> }>, body: (ctx: { outDir: string, tracker: JsTracker | null }) => Promise<T>): Promise<T> {
  const outDir = await mkdtemp(join(tmpdir(), 'seedpay-bench-debian-'))
  const tracker = needTracker ? await startJsTracker({ intervalMs: 2000 }) : null
  try {
    return await body({ outDir, tracker })
  } finally {
    await Promise.all(clients.map(async c => { await c.stop() }))
    await stopAllProcesses()
    await tracker?.close()
    await rm(outDir, { recursive: true, force: true })
  }
}

/**
 * A pair of Debian clients: the seeder starts on SEED_HOST and completes its check, then the leecher finds it
 * through an in-process tracker (`via: 'tracker'`; aria2c can only do that) or dials it directly.
 */
export function debianPair (
  name: string,
  makeSeeder: () => BitTorrentClient,
  makeLeecher: () => BitTorrentClient,
  via: 'tracker' | 'direct'
): SwarmPair {
  return {
    name,
    async run (torrentPath, dataPath) {
      const length = (await stat(dataPath)).size
      const seeder = makeSeeder()
      const leecher = makeLeecher()
      return await withPair(via === 'tracker', [seeder, leecher], async ({ outDir, tracker }) => {
        const { seed, leech } = await addresses()
        const found = via === 'tracker' ? { trackers: [tracker?.httpUrl ?? ''] } : { peers: [seed] }
        await seeder.start(torrentPath, dirname(dataPath), { ...seed, ...(via === 'tracker' ? found : {}) })
        await seeder.waitForComplete({ timeoutMs: 120_000 })
        await leecher.start(torrentPath, outDir, { ...leech, ...found, seed: false })
        const r = await timeLeecher(leecher, Date.now(), length)
        await checkCopy(dataPath, join(outDir, basename(dataPath)))
        return r
      })
    }
  }
}

/**
 * Whole-process mode for a libtorrent downloader (it dials the seeder and exits once it seeds): MB/s from
 * the python process's spawn to its exit, as `seedpay get` is timed in agent-agent.ts.
 */
export function libtorrentProcess (makeSeeder: () => BitTorrentClient): NonNullable<SwarmPair['runProcess']> {
  return async (torrentPath, dataPath) => {
    const length = (await stat(dataPath)).size
    const seeder = makeSeeder()
    const leecher = new LibtorrentClient()
    return await withPair(false, [seeder, leecher], async ({ outDir }) => {
      const { seed, leech } = await addresses()
      await seeder.start(torrentPath, dirname(dataPath), seed)
      await seeder.waitForComplete({ timeoutMs: 120_000 })
      await leecher.start(torrentPath, outDir, { ...leech, peers: [seed], seed: false })
      const spawnedAt = leecher.spawnedAt ?? Date.now()
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`libtorrent did not exit in ${PAIR_TIMEOUT_MS} ms; log tail:\n${leecher.output().slice(-1500)}`)), PAIR_TIMEOUT_MS) })
      const end = await Promise.race([leecher.exitedAt(), timeout]).finally(() => clearTimeout(timer))
      if (leecher.finishedAt === null) throw new Error(`libtorrent exited before finishing; log tail:\n${leecher.output().slice(-1500)}`)
      await leecher.exited()
      await checkCopy(dataPath, join(outDir, basename(dataPath)))
      const seconds = (end - spawnedAt) / 1000
      return {
        mbps: round(length / 1e6 / seconds),
        seconds: round(seconds),
        firstByteSeconds: leecher.firstByteAt === null ? null : round((leecher.firstByteAt - spawnedAt) / 1000),
        transferSeconds: leecher.firstByteAt === null ? null : round((leecher.finishedAt - leecher.firstByteAt) / 1000),
        exitSeconds: round((end - leecher.finishedAt) / 1000),
        leecherCpuMs: leecher.usage === null ? null : leecher.usage.cpuUserMs + leecher.usage.cpuSystemMs,
        leecherPeakRssMiB: leecher.usage?.maxRssMiB ?? null
      }
    })
  }
}
