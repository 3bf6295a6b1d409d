/**
 * SIGINT/SIGTERM for the long-running commands (`seed`, `get`): the first signal asks for a clean stop (close
 * peers, save resume data, settle on shutdown); if that is not over within STOP_BOUND_MS, or a second signal
 * comes, the process exits at once. Nothing is lost by that: verified pieces are on disk and receipts are
 * cumulative, so `seedpay settle` (or the next run) cashes whatever a cut-short settlement left.
 */

/** How long a clean stop may take after the first signal (engine stop ≤ 2 s graceful closes, plus a settlement). */
export const STOP_BOUND_MS = 5_000

export interface StopSignals {
  /** Called once, on the first SIGINT or SIGTERM. */
  onStop: (signal: NodeJS.Signals) => void
  /** The exit code when the stop is cut short. */
  exitCode: () => number
  /** The hint printed when the stop is cut short: what is left and how to finish it. */
  hint: () => string
  /** @default STOP_BOUND_MS */
  boundMs?: number
}

/** Installs the handlers for the rest of the process's life (they also bound what runs after the engine stopped). */
export function handleStopSignals (o: StopSignals): void {
  const bound = o.boundMs ?? STOP_BOUND_MS
  let first: NodeJS.Signals | null = null
  const exitNow = (why: string): void => {
    const code = o.exitCode()
    process.stderr.write(`${code === 0 ? 'warning' : 'error'}: ${why}; exiting now\n  ${o.hint()}\n`)
    process.exit(code)
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first !== null) { exitNow(`${signal} again while stopping`); return }
    first = signal
    // unref: a stop that finishes in time exits normally, without waiting for this timer
    setTimeout(() => { exitNow(`still stopping ${bound / 1000} s after ${signal}`) }, bound).unref()
    o.onStop(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}
