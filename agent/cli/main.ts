import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { registerSwarmCommands } from './swarm-commands.ts'
import { registerAuditCommand } from './audit-command.ts'
import { registerAccountCommands } from './account-commands.ts'
import { registerLaneCommands } from './lane-commands.ts'
import { registerKeyCommands } from './key-commands.ts'
import { registerDaemonCommands } from './daemon-commands.ts'
import { explain, EXIT_BAD_INPUT } from './explain.ts'

export { explain } from './explain.ts'

/** The version in the package.json next to agent/ (the repository's, or the installed package's). */
export function seedpayVersion (): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
  return typeof pkg.version === 'string' ? pkg.version : 'unknown'
}

/**
 * The `seedpay` program. Each area registers its commands from its own file; errors are printed as
 * "error: what went wrong" plus what to do, never as a stack trace.
 */
export function buildProgram (): Command {
  const program = new Command()
    .name('seedpay')
    .description('BitTorrent bandwidth paid in BTT on TRON')
    .version(`seedpay ${seedpayVersion()}`, '-V, --version', 'print the version')
  registerSwarmCommands(program)
  registerAuditCommand(program)
  registerAccountCommands(program)
  registerLaneCommands(program)
  registerKeyCommands(program)
  registerDaemonCommands(program)
  return program
}

/** `seedpay lane release request`: the words a user types to reach `c`. */
function commandPath (c: Command): string {
  const names: string[] = []
  for (let x: Command | null = c; x !== null; x = x.parent) names.unshift(x.name())
  return names.join(' ')
}

/**
 * Commander's own usage errors (unknown command or option, missing argument or required option) become the
 * same two lines as every other error, exit 2: commander's one `error:` line and a pointer to the help of the
 * command that refused, instead of that whole help.
 */
function captureUsageErrors (program: Command): () => Command | null {
  let failed: Command | null = null
  const visit = (c: Command): void => {
    c.exitOverride().configureOutput({ outputError: () => { failed = c } })
    c.commands.forEach(visit)
  }
  visit(program)
  return () => failed
}

export async function main (argv: string[]): Promise<void> {
  const program = buildProgram()
  const failedCommand = captureUsageErrors(program)
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      const c = failedCommand()
      if (c !== null) {
        process.stderr.write(`${err.message.startsWith('error:') ? err.message : `error: ${err.message}`}\n  see \`${commandPath(c)} --help\`\n`)
        process.exitCode = EXIT_BAD_INPUT
        return
      }
      // --help and --version exit 0; a command group without its subcommand printed its help and exits 2.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_BAD_INPUT
      return
    }
    const { message, hint, code } = explain(err)
    process.stderr.write(`error: ${message}\n  ${hint}\n`)
    process.exitCode = code
  }
}

await main(process.argv)
