/** `seedpay create`: a .torrent from a file or directory (the doing is in create-action.ts, loaded when it runs). */
import type { Command } from 'commander'
import type { CreateFlags } from './create-action.ts'
import { collect } from './flags.ts'

export function registerCreateCommand (program: Command): void {
  program.command('create')
    .description('make a .torrent from a file or directory')
    .argument('<path>', 'file or directory to share')
    .option('-t, --tracker <url>', 'tracker announce URL (repeatable)', collect, [])
    .option('-o, --output <file>', 'where to write the .torrent (default: <name>.torrent in the current directory)')
    .option('--force', 'overwrite the output file if it exists', false)
    .option('--piece-length <bytes>', 'piece length in bytes (power of two; default chosen from the size)')
    .option('--json', 'print the result as one JSON line', false)
    .action(async (path: string, o: CreateFlags) => { await (await import('./create-action.ts')).create(path, o) })
}
