/**
 * The diagnostic log of `seed` and `get`: pino JSON lines (with stack traces when something throws) go to a file,
 * `~/.seedpay/logs/<command>-<date>.log` by default, so the terminal shows only the one-line events and errors.
 * `--log-file <path>` moves it, `--log-file -` sends it to stderr (e.g. with `--json`, for a supervisor that
 * collects stderr), `--log-level` sets how much is written.
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import pino, { type Logger } from 'pino'
import { CliError } from './errors.ts'
import { STDERR, type LogFlags } from './log-flags.ts'

/** One logger per destination and level: the engine and the payment side of a run share the file. */
const loggers = new Map<string, Logger>()

/**
 * The run's logger. Opens (creating its directory, private to the user: the log names accounts and peers) and
 * appends to the log file synchronously, so nothing is lost when the process exits.
 * @throws CliError (exit 2) when the file cannot be opened
 */
export function cliLogger (o: LogFlags): Logger {
  const dest = o.logFile === undefined || o.logFile === STDERR ? STDERR : resolve(o.logFile)
  const key = `${o.logLevel}\0${dest}`
  const known = loggers.get(key)
  if (known !== undefined) return known
  const logger = o.logLevel === 'silent' ? pino({ level: 'silent' }) : pino({ level: o.logLevel }, open(dest))
  loggers.set(key, logger)
  return logger
}

/** The files this process logs to (for messages that point at them). */
export function logFiles (): string[] {
  return [...new Set([...loggers.entries()].filter(([k]) => !k.startsWith('silent\0')).map(([k]) => k.split('\0')[1]!))].filter(d => d !== STDERR)
}

function open (dest: string): pino.DestinationStream {
  if (dest === STDERR) return pino.destination(2)
  try {
    mkdirSync(dirname(dest), { recursive: true, mode: 0o700 })
    return pino.destination({ dest, append: true, sync: true, mode: 0o600 })
  } catch (err) {
    throw new CliError(`cannot write the log file ${dest}: ${(err as Error).message}`, 'pass --log-file <a writable path>, or --log-file - for stderr', 2)
  }
}
