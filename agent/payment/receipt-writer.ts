/**
 * Group commit for the receipts of every session of an agent: what is written while the store is busy with the
 * previous transaction (pieces verified together from several peers, receipts read from one socket chunk, the
 * receipts of every peer that arrived during one fsync, a flush at the end of a download) goes to the ledger in
 * one durable transaction, one fsync instead of one each. Each writer is called back only once its receipt is on
 * disk, so the ordering that makes the agent crash-safe holds: a payer sends a receipt only after that callback, a
 * payee counts one (serves more on it) only after it.
 *
 * The store is the ledger's writer thread (agent/ledger/writer-thread.ts), so the event loop goes on serving and
 * reading blocks while the disk works. One transaction is in flight at a time: receipts of one channel are stored,
 * and so sent or counted, in the order they were written, and what queues meanwhile is the next batch.
 *
 * A batch starts on process.nextTick, not on a later turn: a payee holding a verified receipt that is not yet
 * stored cannot count it, so every turn it waited would let the payer's next requests find the credit spent.
 * Not in a promise microtask either: a seeder's queue holds one resolved disk read per block it is about to send,
 * and the flush waited behind hundreds of them; nextTick callbacks run first.
 */
import type { Logger } from 'pino'
import type { ReceiptRecord } from '../ledger/index.ts'
import type { ReceiptStore } from '../ledger/writer-thread.ts'

export type Stored = (err: Error | null) => void

export interface ReceiptWriterComponents {
  logger: Logger
  store: ReceiptStore
  /** When a batch is begun. @default process.nextTick: once the current synchronous burst is over */
  schedule?: (flush: () => void) => void
}

interface Entry { record: ReceiptRecord, stored: Stored }

export class ReceiptWriter {
  private queue: Entry[] = []
  private scheduled = false
  /** The batch the store is writing now, if any. */
  private inFlight: Promise<void> | null = null
  private readonly store: ReceiptStore
  private readonly log: Logger
  private readonly schedule: (flush: () => void) => void
  /** Transactions written, and receipts in them (the benchmark reports the ratio). */
  readonly stats = { commits: 0, receipts: 0 }

  constructor (components: ReceiptWriterComponents) {
    this.store = components.store
    this.log = components.logger
    this.schedule = components.schedule ?? (flush => { process.nextTick(flush) })
  }

  /** Queues `record`; `stored` runs once it is durable (null) or was refused or could not be written (the error). */
  write (record: ReceiptRecord, stored: Stored): void {
    this.queue.push({ record, stored })
    if (this.scheduled || this.inFlight !== null) return
    this.scheduled = true
    this.schedule(() => { this.flush() })
  }

  /** Begins writing what is queued now, unless a batch is in flight (what is queued follows it). */
  flush (): void {
    this.scheduled = false
    if (this.inFlight !== null || this.queue.length === 0) return
    const batch = this.queue
    this.queue = []
    this.inFlight = this.commit(batch).finally(() => {
      this.inFlight = null
      this.flush()
    })
  }

  /** Resolves once everything written so far is stored (or refused): what `stop` waits for. */
  async drain (): Promise<void> {
    this.flush()
    while (this.inFlight !== null) await this.inFlight
  }

  private async commit (batch: Entry[]): Promise<void> {
    let results: Array<Error | null>
    try {
      results = await this.store.recordMany(batch.map(b => b.record))
      this.stats.commits++
      this.stats.receipts += batch.length
    } catch (err) {
      // the transaction did not commit: none of the batch is stored
      const e = err instanceof Error ? err : new Error(String(err))
      results = batch.map(() => e)
    }
    for (let i = 0; i < batch.length; i++) {
      // one session's failing callback must not keep the others from hearing that their receipts are stored
      try {
        batch[i]!.stored(results[i] ?? null)
      } catch (err) {
        this.log.error({ err }, 'handling a stored receipt failed')
      }
    }
  }
}
