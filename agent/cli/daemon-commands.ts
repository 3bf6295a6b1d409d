/**
 * `seedpay daemon` (many torrents on one port, beside the user's own client), `seedpay config init`, and the
 * commands that drive a running daemon over its local API: `status | list | add | remove | pause | resume`.
 * Declarations only; daemon-actions.ts runs the daemon, daemon-client-actions.ts talks to it.
 */
import type { Command } from 'commander'

const daemonActions = async (): Promise<typeof import('./daemon-actions.ts')> => await import('./daemon-actions.ts')
const clientActions = async (): Promise<typeof import('./daemon-client-actions.ts')> => await import('./daemon-client-actions.ts')

export interface ClientFlags { api?: string, json: boolean }
export interface AddFlags extends ClientFlags { data: string, free: boolean, price?: string, freeSlots?: string }

const client = (c: Command): Command => c
  .option('--api <url>', 'the daemon\'s API (default: the one the daemon under SEEDPAY_HOME wrote in daemon/api.json)')
  .option('--json', 'print the answer as JSON', false)

export function registerDaemonCommands (program: Command): void {
  program.command('daemon')
    .description('seed many torrents on one port from a config file, charging paying peers if it says so; driven by `seedpay status | list | add | remove | pause | resume`')
    .option('-c, --config <path>', 'the config file (default: $SEEDPAY_HOME/config.toml, else ~/.config/seedpay/config.toml)')
    .option('--json', 'print JSON event lines (also what a daemon prints when stderr is not a terminal)', false)
    .action(async (o: { config?: string, json: boolean }) => { await (await daemonActions()).runDaemon(o) })

  const config = program.command('config').description('the daemon\'s config file')
  config.command('init')
    .description('write a commented config file with every key and its default (never over an existing file)')
    .option('-c, --config <path>', 'where to write it (default: $SEEDPAY_HOME/config.toml, else ~/.config/seedpay/config.toml)')
    .action(async (o: { config?: string }) => { await (await daemonActions()).configInit(o) })

  client(program.command('status').description('what the running daemon serves: its port, torrents, peers and bytes up')
    .option('--wait <seconds>', 'wait up to this long for a daemon that is starting to answer'))
    .action(async (o: ClientFlags & { wait?: string }) => { await (await clientActions()).status(o) })
  client(program.command('list').description('every torrent of the running daemon with its state'))
    .action(async (o: ClientFlags) => { await (await clientActions()).list(o) })
  client(program.command('add').description('seed one more torrent in the running daemon (kept across restarts)')
    .argument('<torrent>', 'the .torrent file')
    .requiredOption('-d, --data <path>', 'the shared file or directory, or the directory that contains it')
    .option('--free', 'serve this torrent to everyone for free, even if the daemon charges', false)
    .option('--price <btt>', 'sell this torrent at its own price, BTT per MiB (default: the config\'s [payments] price)')
    .option('--free-slots <n>', 'its own upload slots for peers that never pay (default: the config\'s free-slots)'))
    .action(async (torrent: string, o: AddFlags) => { await (await clientActions()).add(torrent, o) })
  client(program.command('dashboard').description('print the address of the running daemon\'s dashboard, with the token that logs a browser in'))
    .action(async (o: ClientFlags) => { await (await clientActions()).dashboard(o) })
  for (const [name, what] of [['remove', 'stop seeding a torrent and forget it'], ['pause', 'stop seeding a torrent until `seedpay resume` (kept across restarts)'], ['resume', 'seed a paused torrent again (or retry one in error)']] as const) {
    client(program.command(name).description(what).argument('<info-hash>', 'the 40 hex digits `seedpay list` shows'))
      .action(async (hash: string, o: ClientFlags) => { await (await clientActions()).change(name, hash, o) })
  }
}
