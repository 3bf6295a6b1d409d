/**
 * Child processes for tests: each runs in its own process group so `stop()` ends the whole tree
 * (transmission-daemon, python, aria2c and anything they fork), and every process started is tracked so
 * `stopAllProcesses()` can clean up in an `after` hook even when a test failed half-way.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import net from 'node:net'
import dgram from 'node:dgram'

export interface ManagedProcess {
  readonly name: string
  readonly child: ChildProcess
  /** Everything written to stdout and stderr so far (capped), for failure messages. */
  output: () => string
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>
  stop: (graceMs?: number) => Promise<void>
}

const MAX_OUTPUT = 64 * 1024
const live = new Set<ManagedProcess>()

export function startProcess (name: string, cmd: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
  const child = spawn(cmd, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const append = (b: Buffer): void => {
    out += b.toString('utf8')
    if (out.length > MAX_OUTPUT) out = out.slice(-MAX_OUTPUT)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const exited = new Promise<number | string>(resolve => {
    child.once('exit', (code, signal) => { resolve(code ?? signal ?? 'unknown') })
    child.once('error', err => { append(Buffer.from(`spawn error: ${err.message}\n`)); resolve('spawn-error') })
  })
  let done = false
  const proc: ManagedProcess = {
    name,
    child,
    output: () => out,
    exited,
    stop: async (graceMs = 3000) => {
      if (done) return
      done = true
      live.delete(proc)
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        killGroup(child.pid, 'SIGTERM')
        const timer = setTimeout(() => { if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL') }, graceMs)
        await exited
        clearTimeout(timer)
      }
      // The leader may be gone while children linger; make sure the group is empty.
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL')
    }
  }
  void exited.then(() => { if (child.pid === undefined) live.delete(proc) })
  live.add(proc)
  return proc
}

function killGroup (pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal) } catch { /* already gone */ }
}

/** Stop every process started through this module that is still running. */
export async function stopAllProcesses (): Promise<void> {
  await Promise.all([...live].map(async p => { await p.stop() }))
}

/** A TCP port free on `host` right now (and the same UDP port, for trackers that want both). */
export async function freePort (host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer()
      s.once('error', reject)
      s.listen(0, host, () => {
        const a = s.address()
        s.close(() => { resolve(typeof a === 'object' && a !== null ? a.port : 0) })
      })
    })
    const udpFree = await new Promise<boolean>(resolve => {
      const u = dgram.createSocket('udp4')
      u.once('error', () => { resolve(false) })
      u.bind(port, host, () => { u.close(() => { resolve(true) }) })
    })
    if (udpFree) return port
  }
  throw new Error(`no free port on ${host}`)
}

export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason) }, { once: true })
  })
}

/** Poll `check` every `everyMs` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function waitFor<T> (what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}
