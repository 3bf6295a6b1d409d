/**
 * `seedpay create | seed | get | stream`: the BitTorrent commands. This file declares them; what seed and get do is in
 * swarm-actions.ts (create's in create-action.ts), loaded when one runs, so `seedpay --help` loads no swarm.
 */
import type { Command } from 'commander'
import { registerCreateCommand } from './create-command.ts'
import { netOptions } from './net-options.ts'
import { addPaymentOptions } from './payment-flags.ts'
import type { GetFlags, SeedFlags, StreamFlags } from './swarm-actions.ts'

const actions = async (): Promise<typeof import('./swarm-actions.ts')> => await import('./swarm-actions.ts')

export function registerSwarmCommands (program: Command): void {
  registerCreateCommand(program)

  addPaymentOptions(netOptions(program.command('seed')
    .description('serve a torrent whose data you already have; with --price, charge paying peers')
    .argument('<torrent>', '.torrent file or magnet link')
    .requiredOption('-d, --data <path>', 'the shared file or directory, or the directory that contains it')
    .option('--repair', 'download the pieces that do not match into --data (without it --data is never written)', false)
    .option('--recheck', 'hash the data even if the saved resume data says it is unchanged', false)), 'payee')
    .action(async (torrent: string, o: SeedFlags) => { await (await actions()).seed(torrent, o) })

  addPaymentOptions(netOptions(program.command('get')
    .description('download a torrent; exits 0 once every piece is verified; with --max-price, pay seeders that charge')
    .argument('<torrent>', '.torrent file or magnet link')
    .requiredOption('-o, --out <dir>', 'directory to download into (resumes what is already there)')
    .option('--seed', 'keep seeding after the download completes', false)), 'payer')
    .action(async (torrent: string, o: GetFlags) => { await (await actions()).get(torrent, o) })
  addPaymentOptions(netOptions(program.command('stream')
    .description('download a torrent and serve one of its files over HTTP while it downloads (the next pieces first), until Ctrl-C')
    .argument('<torrent>', '.torrent file or magnet link')
    .requiredOption('-o, --out <dir>', 'directory to download into (resumes what is already there)')
    .option('--file <index>', 'which file to serve, from 0 in the torrent\'s order (default: the largest)')
    .option('--http-host <address>', 'address the HTTP server listens on', '127.0.0.1')
    .option('--http-port <port>', 'HTTP port; 0 picks a free one (the `streaming` event says which)', '8888')), 'payer')
    .action(async (torrent: string, o: StreamFlags) => { await (await actions()).stream(torrent, o) })
}
