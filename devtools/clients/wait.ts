/** Waiting for a client to finish, failing fast (with its log tail) if it dies or the time runs out. */
import type { ManagedProcess } from './process.ts'
import { sleep } from './process.ts'

const TAIL = 3000

export async function waitForClient (
  name: string,
  proc: ManagedProcess | null,
  isComplete: () => Promise<boolean>,
  options: { timeoutMs?: number, signal?: AbortSignal, exitMeansComplete?: boolean } = {}
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000
  const deadline = Date.now() + timeoutMs
  let exited: number | string | null = null
  void proc?.exited.then(code => { exited = code })
  while (true) {
    options.signal?.throwIfAborted()
    if (await isComplete().catch(() => false)) return
    if (exited !== null) {
      if (options.exitMeansComplete === true && exited === 0) return
      throw new Error(`${name} exited (${String(exited)}) before completing; log tail:\n${(proc?.output() ?? '').slice(-TAIL)}`)
    }
    if (Date.now() > deadline) {
      throw new Error(`${name} did not complete within ${timeoutMs} ms; log tail:\n${(proc?.output() ?? '').slice(-TAIL)}`)
    }
    await sleep(200, options.signal)
  }
}
