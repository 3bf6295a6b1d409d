/**
 * One daemon per SEEDPAY_HOME: the pid file is created exclusively (O_EXCL), so two daemons starting at once cannot
 * both win, and a file left by a daemon killed with -9 is recognised as stale (its pid is gone) and taken over.
 * The ledger's own owner claim stops a second account; this stops a second process on the same ledger.
 */
import { readFileSync } from 'node:fs'
import { open, readFile, unlink } from 'node:fs/promises'
import { DaemonRunningError } from './errors.ts'

export interface PidLock { readonly path: string, release: () => Promise<void> }

export async function acquirePidLock (path: string): Promise<PidLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644)
      await fh.writeFile(`${process.pid}\n`)
      await fh.sync()
      await fh.close()
      return { path, release: async () => { await releaseIfOurs(path) } }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const pid = await readPid(path)
    if (pid !== null && pid !== process.pid && alive(pid)) throw new DaemonRunningError(path, pid)
    // stale (the process is gone) or unreadable half-written: remove it and try again
    await unlink(path).catch(() => undefined)
  }
  throw new Error(`could not create ${path}: it keeps reappearing`)
}

async function readPid (path: string): Promise<number | null> {
  const text = await readFile(path, 'utf8').catch(() => '')
  const pid = Number.parseInt(text.trim(), 10)
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null
}

/**
 * Signal 0 checks that the process exists; EPERM means it exists under another user. A daemon killed with -9 whose
 * parent has not reaped it yet is a zombie, which signal 0 still finds: on Linux /proc says so, and it holds nothing.
 */
function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}

async function releaseIfOurs (path: string): Promise<void> {
  if (await readPid(path) === process.pid) await unlink(path).catch(() => undefined)
}
