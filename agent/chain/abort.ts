/**
 * AbortSignal plumbing for libraries (ethers, tronweb) that take none. Aborting stops the waiting, not what
 * was already sent: a broadcast transaction may still be mined, which is safe because every escrow write is
 * idempotent for the agent (cumulative receipts; deposits and withdrawals are recorded by their events).
 */

export function throwIfAborted (signal: AbortSignal | undefined): void {
  signal?.throwIfAborted()
}

/** Resolves or rejects with `promise`, or rejects with the signal's reason once it aborts. */
export async function abortable<T> (promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await promise
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Sleeps `ms`, or rejects early with the signal's reason. The timer is not unref'd: an awaited sleep is work in
 * progress (a settlement polling for its receipt on SIGINT, when nothing else is left to keep the process up), and
 * an unref'd one let Node exit with code 0 in the middle of it. Aborting clears it.
 */
export async function sleep (ms: number, signal: AbortSignal | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await abortable(new Promise<void>(resolve => { timer = setTimeout(resolve, ms) }), signal)
  } finally {
    clearTimeout(timer)
  }
}

/** Runs tasks one at a time in call order (one account's transactions must take consecutive nonces). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  async run<T> (task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task)
    this.tail = result.catch(() => undefined)
    return await result
  }
}
