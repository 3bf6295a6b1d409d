/**
 * The ledger's receipt writes on a worker thread, with its own SQLite connection to the same file.
 *
 * A receipt's durable write is an fsync (synchronous = FULL, database.ts): ~4 ms on this machine's disk, tens of
 * milliseconds on a loaded one or a spinning disk. On the event loop it stopped the socket thread for that long:
 * no block read, none sent, no other receipt checked (282 ms of a paid 256 MiB download's 2.0 s, docs/benchmarks.md,
 * "Paid vs free" round 6). Here the loop goes on while the disk works, and what the ordering needs still holds:
 * the promise of a write resolves only once its transaction has committed, so a payer still sends a receipt only
 * after it is on disk and a payee counts one only after that.
 *
 * WAL mode lets the main thread's connection (the Ledger everything else reads and writes through) read while
 * the worker writes; the two writers take SQLite's write lock in turn (busy_timeout, database.ts).
 *
 * Until the worker has opened the file (~50 ms from dist/, ~300 ms under tsx), and if it ever fails, batches are
 * written on the main connection instead, as before this thread existed: the first receipts of a download do not
 * wait for a thread to start, and a broken thread never stops receipts from being stored. Batches never overlap
 * (the ReceiptWriter has one in flight at a time), so switching paths keeps their order.
 */
import { Worker } from 'node:worker_threads'
import { errorFromWire, type WireError } from './errors.ts'
import type { LedgerInit, ReceiptRecord } from './ledger.ts'

/** Set by scripts/build.ts when agent/ is bundled into dist/: the worker is dist/ledger-writer.js then. */
declare const SEEDPAY_BUNDLE: boolean | undefined

/** Where receipts are stored durably, in batches (the group commit of agent/payment/receipt-writer.ts). */
export interface ReceiptStore {
  /**
   * Records `entries` in one durable transaction, in order.
   * @returns per entry, null once stored or the error that refused it (Ledger.recordMany); rejects when the
   * transaction did not commit, so that none of them is stored
   */
  recordMany: (entries: readonly ReceiptRecord[]) => Promise<Array<Error | null>>
}

/** A request to the worker, and its answer. */
export interface WriterRequest { id: number, entries: readonly ReceiptRecord[] }
export type WriterReply =
  | { ready: true }
  | { id: number, results: Array<WireError | null> }
  | { id: number, failed: WireError }

/** Writes a batch on the main thread's connection (Ledger.recordMany). */
export type LocalWrite = (entries: readonly ReceiptRecord[]) => Array<Error | null>

/** The worker's module: the bundle's own entry in dist/, or under tsx (tests, development) the TypeScript source. */
function workerUrl (): URL {
  return typeof SEEDPAY_BUNDLE !== 'undefined'
    ? new URL('../../dist/ledger-writer.js', import.meta.url)
    : new URL('./writer-worker-tsx.mjs', import.meta.url)
}

interface Pending { resolve: (results: Array<Error | null>) => void, reject: (err: Error) => void }

export class LedgerWriterThread implements ReceiptStore {
  private readonly worker: Worker
  private readonly local: LocalWrite
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  /** The worker has opened the ledger: batches go to it from now on. */
  private up = false
  /** Set once the worker has failed or exited: later batches are written on the main connection. */
  private broken: Error | null = null
  private closing: Promise<void> | null = null
  private drained: (() => void) | null = null
  private readyResolve: (() => void) | null = null
  /** Resolves once the worker has opened the ledger (never, if it fails first). */
  readonly ready: Promise<void>
  /** Batches written by the worker, and on the main connection (before it was up, or after it failed). */
  readonly stats = { thread: 0, local: 0 }

  constructor (init: Readonly<LedgerInit>, local: LocalWrite) {
    this.local = local
    this.ready = new Promise(resolve => { this.readyResolve = resolve })
    this.worker = new Worker(workerUrl(), { workerData: { ...init } })
    // Idle, it keeps no process alive; a write in flight does (ref() in recordMany).
    this.worker.unref()
    this.worker.on('message', (reply: WriterReply) => { this.onReply(reply) })
    this.worker.on('error', err => { this.fail(err) })
    this.worker.on('exit', code => { this.fail(new Error(`the ledger's writer thread exited (code ${code})`)) })
  }

  async recordMany (entries: readonly ReceiptRecord[]): Promise<Array<Error | null>> {
    if (this.closing !== null) throw new Error('the ledger\'s writer thread is closed')
    if (!this.up || this.broken !== null) {
      this.stats.local++
      return this.local(entries)
    }
    this.stats.thread++
    const id = this.nextId++
    return await new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      if (this.pending.size === 1) this.worker.ref()
      this.worker.postMessage({ id, entries } satisfies WriterRequest)
    })
  }

  /** Waits for every write asked for so far, then ends the thread (Ledger.close calls it). */
  async close (): Promise<void> {
    this.closing ??= (async () => {
      if (this.pending.size > 0 && this.broken === null) await new Promise<void>(resolve => { this.drained = resolve })
      await this.worker.terminate()
    })()
    await this.closing
  }

  private onReply (reply: WriterReply): void {
    if ('ready' in reply) {
      this.up = true
      this.readyResolve?.()
      return
    }
    const p = this.pending.get(reply.id)
    if (p === undefined) return
    this.pending.delete(reply.id)
    if ('failed' in reply) p.reject(errorFromWire(reply.failed))
    else p.resolve(reply.results.map(r => r === null ? null : errorFromWire(r)))
    this.settled()
  }

  private fail (err: Error): void {
    if (this.broken !== null) return
    this.broken = err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    this.settled()
  }

  private settled (): void {
    if (this.pending.size > 0) return
    this.worker.unref()
    this.drained?.()
    this.drained = null
  }
}
