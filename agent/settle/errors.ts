/** Errors of the settlement scheduler. */

/** `start` was called twice, or after `stop`. */
export class SchedulerStateError extends Error {
  constructor (readonly state: string, readonly operation: string) {
    super(`settlement scheduler is ${state}; cannot ${operation}`)
    this.name = 'SchedulerStateError'
  }
}

/** The scheduler's chain client talks to another escrow or chain than the one asked for. */
export class SchedulerConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'SchedulerConfigError'
  }
}
