import { stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import type { Command } from 'commander'
import { loadTorrent } from '../swarm/index.ts'
import { CliError } from './errors.ts'
import { registerCreateCommand } from './create-command.ts'
import { netOptions, type NetOptions } from './net-options.ts'
import { addPaymentOptions, withPayments, type PaymentFlags } from './payment-options.ts'
import { runEngine } from './run-engine.ts'
import { fetchMagnetMetadata } from './magnet-metadata.ts'
import { checkSeedData, seedResumeFile } from './seed-data.ts'

/** `seedpay create | seed | get`. Thin: parse options, run the engine, report. */
export function registerSwarmCommands (program: Command): void {
  registerCreateCommand(program)

  addPaymentOptions(netOptions(program.command('seed')
    .description('serve a torrent whose data you already have; with --price, charge paying peers')
    .argument('<torrent>', '.torrent file or magnet link')
    .requiredOption('-d, --data <path>', 'the shared file or directory, or the directory that contains it')
    .option('--repair', 'download the pieces that do not match into --data (without it --data is never written)', false)
    .option('--recheck', 'hash the data even if the saved resume data says it is unchanged', false)), 'payee')
    .action(async (torrent: string, o: NetOptions & PaymentFlags & { data: string, repair: boolean, recheck: boolean }) => {
      const loaded = await loadTorrent(torrent)
      // A magnet's name and piece hashes come from a peer; only then can --data be found and checked.
      const source = loaded.kind === 'torrent' ? loaded : await fetchMagnetMetadata(loaded, o)
      const dataDir = await seedDataDir(o.data, source.name)
      await withPayments(o, 'payee', async payments => {
        await runEngine(source, dataDir, o, {
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

  addPaymentOptions(netOptions(program.command('get')
    .description('download a torrent; exits 0 once every piece is verified; with --max-price, pay seeders that charge')
    .argument('<torrent>', '.torrent file or magnet link')
    .requiredOption('-o, --out <dir>', 'directory to download into (resumes what is already there)')
    .option('--seed', 'keep seeding after the download completes', false)), 'payer')
    .action(async (torrent: string, o: NetOptions & PaymentFlags & { out: string, seed: boolean }) => {
      const source = await loadTorrent(torrent)
      const out = resolve(o.out)
      await withPayments(o, 'payer', async payments => { await runEngine(source, out, o, { seed: o.seed, keepRunning: o.seed, resumeFile: join(out, '.seedpay', `${source.infoHash}.resume`), payments }) })
    })
}

/** `--data` may name the shared file/dir itself or the directory that contains it. */
async function seedDataDir (data: string, name: string): Promise<string> {
  const p = resolve(data)
  if (await exists(join(p, name))) return p
  if (basename(p) === name && await exists(p)) return dirname(p)
  throw new CliError(`--data ${data} holds no "${name}"`, `pass the path of "${name}" or of the directory that contains it`, 2)
}

async function exists (p: string): Promise<boolean> {
  try { await stat(p); return true } catch { return false }
}
