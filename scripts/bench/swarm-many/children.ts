/**
 * Every `seedpay` child a benchmark starts, so a failure or Ctrl-C half-way still ends them all (the client
 * harnesses' processes are tracked by devtools/clients' stopAllProcesses).
 */
import { SeedpayChild, type SeedpayChildInit } from '../../../devtools/seedpay-child.ts'

export class Children {
  private readonly live = new Set<SeedpayChild>()

  spawn (args: string[], init: SeedpayChildInit = {}): SeedpayChild {
    const child = new SeedpayChild(args, init)
    this.live.add(child)
    void child.exited.then(() => this.live.delete(child))
    return child
  }

  /** SIGKILL whatever is still running. */
  async killAll (): Promise<void> {
    await Promise.all([...this.live].map(async c => await c.kill()))
  }
}

/** `p`, or a rejection naming `what` once `ms` have passed. */
export async function withDeadline<T> (p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${Math.round(ms / 1000)} s: ${what()}`)), ms) })
  try {
    return await Promise.race([p, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** Marks `p` handled now (it may reject before anyone awaits it, e.g. a child that dies) and returns it to await later. */
export function awaitLater<T> (p: Promise<T>): Promise<T> {
  p.catch(() => undefined)
  return p
}
