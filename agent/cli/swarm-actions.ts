/** What `seedpay seed` and `seedpay get` (swarm-commands.ts) do: load the torrent, run the engine, with payments if asked. */
import { join, resolve } from 'node:path'
import { loadTorrent } from '../swarm/index.ts'
import { CliError } from './errors.ts'
import { withPayments } from './with-payments.ts'
import { runEngine } from './run-engine.ts'
import { fetchMagnetMetadata } from './magnet-metadata.ts'
import { checkSeedData } from './seed-data.ts'
import { findSeedData, seedResumeFile } from '../swarm/index.ts'
import type { NetOptions } from './net-options.ts'
import type { PaymentFlags } from './payment-flags.ts'
import { startDiscovery, type Discovery } from './discovery-options.ts'
import { cliLogger } from './logging.ts'
import { intOption } from './flags.ts'
import { makeReporter } from './output.ts'
import { StreamServer } from './stream-server.ts'
import type { TorrentFileEntry, TorrentMeta } from '../swarm/index.ts'

export type SeedFlags = NetOptions & PaymentFlags & { data: string, repair: boolean, recheck: boolean }
export type GetFlags = NetOptions & PaymentFlags & { out: string, seed: boolean }
export type StreamFlags = NetOptions & PaymentFlags & { out: string, file?: string, httpHost: string, httpPort: string }

/** `seedpay seed <torrent> --data <path>`. */
export async function seed (torrent: string, o: SeedFlags): Promise<void> {
  const loaded = await loadTorrent(torrent)
  await withDiscovery(o, async discovery => {
    // A magnet's name and piece hashes come from a peer; only then can --data be found and checked.
    const source = loaded.kind === 'torrent' ? loaded : await fetchMagnetMetadata(loaded, o, discovery)
    const dataDir = await seedDataDir(o.data, source.name)
    await withPayments(o, 'payee', async payments => {
      await runEngine(source, dataDir, o, {
      discovery,
      seed: true,
      keepRunning: true,
      readOnly: !o.repair,
      recheck: o.recheck,
      resumeFile: seedResumeFile(source.infoHash),
      afterStart: engine => { checkSeedData(engine, source, dataDir, o.repair, o.json) },
      payments
      })
    })
  })
}

/** `seedpay get <torrent> --out <dir>`. */
export async function get (torrent: string, o: GetFlags): Promise<void> {
  const source = await loadTorrent(torrent)
  const out = resolve(o.out)
  await withDiscovery(o, async discovery => {
    await withPayments(o, 'payer', async payments => { await runEngine(source, out, o, { seed: o.seed, keepRunning: o.seed, resumeFile: join(out, '.seedpay', `${source.infoHash}.resume`), payments, discovery }) })
  })
}

/**
 * `seedpay stream <torrent> --out <dir> [--file N]`: downloads like `get` and serves one file over HTTP on
 * 127.0.0.1 while it downloads (its next pieces first), until Ctrl-C; it keeps seeding meanwhile.
 */
export async function stream (torrent: string, o: StreamFlags): Promise<void> {
  const httpPort = intOption('--http-port', o.httpPort, 0, 65535)
  const wanted = o.file === undefined ? null : intOption('--file', o.file, 0, 1_000_000)
  const loaded = await loadTorrent(torrent)
  const out = resolve(o.out)
  await withDiscovery(o, async discovery => {
    // which file is known only from the metadata: a magnet's comes from a peer first
    const source = loaded.kind === 'torrent' ? loaded : await fetchMagnetMetadata(loaded, o, discovery)
    const file = pickFile(source, wanted)
    await withPayments(o, 'payer', async payments => {
      await runEngine(source, out, o, {
        seed: true,
        keepRunning: true,
        resumeFile: join(out, '.seedpay', `${source.infoHash}.resume`),
        payments,
        discovery,
        serve: async engine => {
          const server = new StreamServer({ engine, meta: source, file: file.entry, host: o.httpHost, port: httpPort, logger: cliLogger(o) })
          let url: string
          try {
            url = await server.listen()
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code
            if (code === 'EADDRINUSE') throw new CliError(`--http-port ${httpPort} on ${o.httpHost} is already in use`, 'pick another --http-port, or 0 for any free port', 2)
            if (code === 'EADDRNOTAVAIL') throw new CliError(`cannot serve HTTP on ${o.httpHost}`, 'pass an address of this machine with --http-host', 2)
            throw err
          }
          makeReporter(o.json).event('streaming', { url, file: file.index, path: file.entry.path, length: file.entry.length })
          return async () => { await server.close() }
        }
      })
    })
  })
}

/** The file to stream: `--file N`, or the largest (a video's, next to its subtitles and samples). */
function pickFile (source: TorrentMeta, wanted: number | null): { index: number, entry: TorrentFileEntry } {
  const files = source.files
  if (wanted !== null) {
    const entry = files[wanted]
    if (entry === undefined) {
      throw new CliError(`--file ${wanted}: the torrent has ${files.length} file${files.length === 1 ? '' : 's'} (0–${files.length - 1})`,
        `pick one of: ${files.slice(0, 8).map((f, i) => `${i} ${f.path}`).join(', ')}${files.length > 8 ? ', …' : ''}`, 2)
    }
    return { index: wanted, entry }
  }
  let index = 0
  for (let i = 1; i < files.length; i++) if (files[i]!.length > files[index]!.length) index = i
  return { index, entry: files[index]! }
}

/** One DHT node and LSD for the whole command, stopped (the routing table saved) however it ends. */
async function withDiscovery (o: NetOptions, run: (d: Discovery) => Promise<void>): Promise<void> {
  const discovery = await startDiscovery(o, cliLogger(o))
  try { await run(discovery) } finally { await discovery.stop() }
}

/** `--data` may name the shared file/dir itself or the directory that contains it. */
async function seedDataDir (data: string, name: string): Promise<string> {
  const dir = await findSeedData(data, name)
  if (dir === null) throw new CliError(`--data ${data} holds no "${name}"`, `pass the path of "${name}" or of the directory that contains it`, 2)
  return dir
}
