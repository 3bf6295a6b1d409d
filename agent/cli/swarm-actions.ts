/** What `seedpay seed` and `seedpay get` (swarm-commands.ts) do: load the torrent, run the engine, with payments if asked. */
import { join, resolve } from 'node:path'
import { loadTorrent } from '../swarm/index.ts'
import { CliError } from './errors.ts'
import { withPayments } from './payment-options.ts'
import { runEngine } from './run-engine.ts'
import { fetchMagnetMetadata } from './magnet-metadata.ts'
import { checkSeedData } from './seed-data.ts'
import { findSeedData, seedResumeFile } from '../swarm/index.ts'
import type { NetOptions } from './net-options.ts'
import type { PaymentFlags } from './payment-flags.ts'
import { startDiscovery, type Discovery } from './discovery-options.ts'
import { cliLogger } from './logging.ts'

export type SeedFlags = NetOptions & PaymentFlags & { data: string, repair: boolean, recheck: boolean }
export type GetFlags = NetOptions & PaymentFlags & { out: string, seed: boolean }

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
