import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const SEEDPAY_BIN = fileURLToPath(new URL('../bin/seedpay.js', import.meta.url))
/** The node flags bin/seedpay.js's shebang passes; spawning `node bin/seedpay.js` directly must repeat them. */
export const SEEDPAY_NODE_FLAGS = ['--max-semi-space-size=4', '--openssl-legacy-provider']
/** Extra node flags for every child, e.g. `SEEDPAY_CHILD_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof'` to profile a benchmark. */
/**
 * Benchmarks and tests talk to 127.0.0.0/8 only: a child's DHT and LSD are off unless the caller's environment
 * says otherwise (people get both by default; a `--dht-bootstrap` in the args still turns the DHT on).
 */
const loopbackEnv = (): NodeJS.ProcessEnv => ({ ...process.env, SEEDPAY_DHT: process.env['SEEDPAY_DHT'] ?? 'off', SEEDPAY_LSD: process.env['SEEDPAY_LSD'] ?? 'off' })
const EXTRA_FLAGS = (process.env['SEEDPAY_CHILD_NODE_FLAGS'] ?? '').split(' ').filter(f => f !== '')

export interface JsonEvent { event: string, time: string, [k: string]: unknown }

export interface SeedpayChildInit {
  /** Node flags for this child alone, after the bin's and SEEDPAY_CHILD_NODE_FLAGS (e.g. an `--import` preload). @default [] */
  nodeFlags?: string[]
  /** Sees every event line as it arrives (e.g. to count `peer:close` reasons), besides `next`. */
  onEvent?: (e: JsonEvent) => void
  /** Another checkout's bin/seedpay.js, for a benchmark that compares two versions in one run. @default SEEDPAY_BIN */
  bin?: string
}

/** A `seedpay` child printing JSON event lines; `next(name)` waits for the next event of that name. */
export class SeedpayChild {
  readonly proc: ChildProcess
  private readonly seen: JsonEvent[] = []
  private readonly waiters: Array<{ name: string, resolve: (e: JsonEvent) => void }> = []
  readonly exited: Promise<number>
  stderr = ''

  constructor (args: string[], init: SeedpayChildInit = {}) {
    this.proc = spawn(process.execPath, [...SEEDPAY_NODE_FLAGS, ...EXTRA_FLAGS, ...init.nodeFlags ?? [], init.bin ?? SEEDPAY_BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: loopbackEnv() })
    this.proc.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000) })
    createInterface({ input: this.proc.stdout! }).on('line', line => {
      let ev: JsonEvent
      try { ev = JSON.parse(line) as JsonEvent } catch { return }
      init.onEvent?.(ev)
      const i = this.waiters.findIndex(w => w.name === ev.event)
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(ev)
      else this.seen.push(ev)
    })
    // 'close', not 'exit': by then stdout has been read to its end, so every event line has been seen.
    this.exited = new Promise(resolve => this.proc.once('close', (code, sig) => resolve(code ?? (sig !== null ? 128 : 1))))
  }

  async next (name: string, timeoutMs = 600_000): Promise<JsonEvent> {
    const i = this.seen.findIndex(e => e.event === name)
    if (i >= 0) return this.seen.splice(i, 1)[0]!
    return await new Promise<JsonEvent>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no "${name}" event within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs)
      this.waiters.push({ name, resolve: (e) => { clearTimeout(t); resolve(e) } })
      void this.exited.then(code => { clearTimeout(t); reject(new Error(`seedpay exited ${code} before "${name}"; stderr: ${this.stderr}`)) })
    })
  }

  /** SIGINT (clean stop) and wait for exit. */
  async stop (): Promise<number> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGINT')
    return await this.exited
  }

  /** SIGKILL (tests' clean-up) and wait for exit. */
  async kill (): Promise<number> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL')
    return await this.exited
  }
}
