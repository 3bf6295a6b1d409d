/**
 * Group commit for the receipts of every session of an agent: what is written before control returns to the
 * event loop (pieces verified together from several peers, receipts read from one socket chunk, a flush at the
 * end of a download) goes to the ledger in one durable transaction, one fsync instead of one each. Each writer is
 * called back only once its receipt is on disk, so the ordering that makes the agent crash-safe holds: a payer
 * sends a receipt only after that callback, a payee counts one (serves more on it) only after it.
 *
 * The batch is written on process.nextTick, not on a later turn: a payee holding a verified receipt that is not
 * yet stored cannot count it, so every turn it waited would let the payer's next requests find the credit spent
 * (on a loaded machine setImmediate let several receipts queue up and the payee choked an honest payer). Not in
 * a promise microtask either: a seeder's queue holds one resolved disk read per block it is about to send, and
 * the flush waited behind hundreds of them (2–8 ms a receipt at 250 MB/s); nextTick callbacks run first.
 */
import type { Logger } from 'pino'
import type { Ledger, ReceiptRecord } from '../ledger/index.ts'

export type Stored = (err: Error | null) => void

export interface ReceiptWriterComponents {
  logger: Logger
  ledger: Ledger
  /** When the batch is written. @default process.nextTick: once the current synchronous burst is over */
  schedule?: (flush: () => void) => void
}

export class ReceiptWriter {
  private queue: Array<{ record: ReceiptRecord, stored: Stored }> = []
  private scheduled = false
  private readonly ledger: Ledger
  private readonly log: Logger
  private readonly schedule: (flush: () => void) => void
  /** Transactions written, and receipts in them (the benchmark reports the ratio). */
  readonly stats = { commits: 0, receipts: 0 }

  constructor (components: ReceiptWriterComponents) {
    this.ledger = components.ledger
    this.log = components.logger
    this.schedule = components.schedule ?? (flush => { process.nextTick(flush) })
  }

  /** Queues `record`; `stored` runs once it is durable (null) or was refused or could not be written (the error). */
  write (record: ReceiptRecord, stored: Stored): void {
    this.queue.push({ record, stored })
    if (this.scheduled) return
    this.scheduled = true
    this.schedule(() => { this.flush() })
  }

  /** Writes everything queued now (also what `stop` calls, so nothing queued is dropped). */
  flush (): void {
    this.scheduled = false
    const batch = this.queue
    if (batch.length === 0) return
    this.queue = []
    let results: Array<Error | null>
    try {
      results = this.ledger.recordMany(batch.map(b => b.record))
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
