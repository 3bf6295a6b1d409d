import { Command, CommanderError } from 'commander'
import { registerSwarmCommands } from './swarm-commands.ts'
import { registerAuditCommand } from './audit-command.ts'
import { registerAccountCommands } from './account-commands.ts'
import { registerLaneCommands } from './lane-commands.ts'
import { registerKeyCommands } from './key-commands.ts'
import { CliError } from './errors.ts'
import { InvalidTorrentError, StorageError, InvalidPeerAddressError, MetadataTimeoutError } from '../swarm/index.ts'

/**
 * The `seedpay` program. Each area registers its commands from its own file; errors are printed as
 * "error: what went wrong" plus what to do, never as a stack trace.
 */
export function buildProgram (): Command {
  const program = new Command()
    .name('seedpay')
    .description('BitTorrent bandwidth paid in BTT on TRON')
    .showHelpAfterError(true)
  registerSwarmCommands(program)
  registerAuditCommand(program)
  registerAccountCommands(program)
  registerLaneCommands(program)
  registerKeyCommands(program)
  return program
}

export function explain (err: unknown): { message: string, hint: string, code: number } {
  if (err instanceof CliError) return { message: err.message, hint: err.hint, code: err.exitCode }
  if (err instanceof InvalidTorrentError) return { message: err.message, hint: 'check the .torrent file or magnet link; recreate it with `seedpay create` if needed', code: 1 }
  if (err instanceof StorageError) return { message: err.message, hint: 'check the directory exists and is writable, and has room', code: 1 }
  if (err instanceof InvalidPeerAddressError) return { message: err.message, hint: 'write peers like 127.0.0.1:6881', code: 2 }
  if (err instanceof MetadataTimeoutError) return { message: err.message, hint: 'add a peer that has the torrent with --peer, or use the .torrent file', code: 1 }
  const e = err as NodeJS.ErrnoException
  if (typeof e?.code === 'string' && typeof e.message === 'string') return { message: e.message, hint: 'check the paths and permissions given on the command line', code: 1 }
  return { message: err instanceof Error ? err.message : String(err), hint: 'rerun with --log-level debug for details', code: 1 }
}

export async function main (argv: string[]): Promise<void> {
  const program = buildProgram()
  program.exitOverride()
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode
      return
    }
    const { message, hint, code } = explain(err)
    process.stderr.write(`error: ${message}\n  ${hint}\n`)
    process.exitCode = code
  }
}

await main(process.argv)
