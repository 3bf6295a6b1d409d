/**
 * The log options of `seed` and `get`, `--log-level` and `--log-file` (default `~/.seedpay/logs/<command>-<date>.log`):
 * declarations only, so the help loads no pino; logging.ts opens the log.
 */
import { join } from 'node:path'
import { Option, type Command } from 'commander'
import { seedpayHome } from '../util/home.ts'

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const
/** `--log-file -`: the log goes to stderr. */
export const STDERR = '-'

export interface LogFlags {
  logLevel: string
  /** A path, or `-` for stderr; undefined (a caller without the option): stderr. */
  logFile?: string
}

/** `~/.seedpay/logs/get-2026-12-01.log`: one file per command and UTC day, appended to by every run. */
export function defaultLogFile (command: string, now: Date = new Date()): string {
  return join(seedpayHome(), 'logs', `${command}-${now.toISOString().slice(0, 10)}.log`)
}

/** Adds `--log-level` and `--log-file` to `cmd`; the default file is named after the command. */
export function addLogOptions (cmd: Command): Command {
  return cmd
    .addOption(new Option('--log-level <level>', 'how much goes to the log').choices(LOG_LEVELS).default('warn'))
    .addOption(new Option('--log-file <path>', 'where the log goes (- for stderr)')
      .default(defaultLogFile(cmd.name()), `~/.seedpay/logs/${cmd.name()}-<date>.log, under SEEDPAY_HOME if set`))
}
