/** Errors of the settlement scheduler, its event feed and its fee reading. */

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

/** The event feed was configured with a value it cannot work with (negative confirmations, zero poll interval). */
export class FeedConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'FeedConfigError'
  }
}

/** A fee price or refresh interval that cannot be used (a price of 0 would make every pair worth settling). */
export class FeeConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'FeeConfigError'
  }
}
