/**
 * The payee half of a payment session (session.ts): the peer pays us for what we upload. A block is served only
 * within the payer's credit and what backs it (payee-coverage.ts); each receipt is stored through the agent's
 * ReceiptWriter before it counts, so nothing more is served on it before it is durable. A payer that reaches its
 * credit while no receipt of its is being stored has its requests held for the receipt on its way (receipt-wait.ts),
 * and is choked only if none comes.
 */
import type { Logger } from 'pino'
import { InvalidReceiptError, type PayeeChannel, type SignedReceipt } from '../pay/index.ts'
import type { ErrorName, SeedpayExtension } from '../wire/index.ts'
import { NonMonotonicReceiptError } from '../ledger/index.ts'
import type { Shared } from './channels.ts'
import type { PaymentEvents } from './events.ts'
import type { PayeeCoverage } from './payee-coverage.ts'
import type { ReceiptWriter } from './receipt-writer.ts'
import { endReceiptWait, receiptWait, waitForReceipt } from './receipt-wait.ts'

/** Per channel, the write of its newest receipt being stored (`settling`). */
const storing = new WeakMap<PayeeChannel, Promise<void>>()

/** A payer's backing that could not be read is tried again this often while its session lasts. */
const BACKING_RETRY_MS = 5_000

/** One connection of the payer (the credit is the payer's, so a choke or a credit reaches each of them). */
export interface PayerConnection {
  readonly peerId: string | null
  readonly ext: SeedpayExtension
  readonly payee: PayeeSide
}

export interface PayeeSideComponents {
  logger: Logger
  writer: ReceiptWriter
  /** What backs each payer; without it a payer is served on credit alone. */
  coverage: PayeeCoverage | undefined
  emit: <K extends keyof PaymentEvents>(name: K, event: PaymentEvents[K]) => void
  /** Every connection holding the channel, this one included. */
  connections: (shared: Shared<PayeeChannel>) => PayerConnection[]
}

export class PayeeSide {
  /** The channel in which the peer pays us, once its hello proof checked out. */
  shared: Shared<PayeeChannel> | null = null
  /** The payer's backing has been read (nothing charged is served before). */
  private backed = false
  /** The last coverage decision that refused a block, reported once per change. */
  refusedFor: 'settle' | 'wait' | null = null
  private readonly c: PayeeSideComponents
  private readonly ext: SeedpayExtension

  constructor (components: PayeeSideComponents, ext: SeedpayExtension) {
    this.c = components
    this.ext = ext
  }

  get channel (): PayeeChannel | null { return this.shared?.channel ?? null }

  private get peerId (): string | null { return this.ext.peerId }

  /** Whether a charged block of `length` may be served now: within the credit, and backed (payee-coverage.ts). */
  mayServe (length: number): boolean {
    const ch = this.channel
    if (ch === null || !ch.mayServe(length)) return false
    const coverage = this.c.coverage
    if (coverage === undefined) return true
    if (!this.backed) return false
    const decision = coverage.decide(ch.payer, { receiptAmount: ch.held?.amount ?? 0n, unpaidBytes: ch.unpaid, pricePerMiB: ch.pricePerMiB }, length)
    if (decision === 'serve') { this.refusedFor = null; return true }
    if (decision === 'refresh') return false
    if (this.refusedFor !== decision) {
      this.refusedFor = decision
      const c = coverage.coverage(ch.payer)
      this.c.logger.info({ peerId: this.peerId, payer: ch.payer, decision, lane: c?.lane, free: c?.free }, decision === 'settle'
        ? 'payer\'s receipts would leave its lane and trusted free balance: settling before serving more'
        : 'payer\'s receipts are not backed for more: waiting for it to reserve a lane or deposit')
      this.c.emit('peer:uncovered', { peerId: this.peerId, payer: ch.payer, decision, lane: c?.lane ?? 0n, free: c?.free ?? 0n })
    }
    return false
  }

  /** The payer's backing changed (read, settled, deposited, reserved); it may be served again. */
  onBackingChanged (): void {
    const shared = this.shared
    if (shared === null) return
    for (const s of this.c.connections(shared)) this.c.emit('peer:paid-up', { peerId: s.peerId, unpaid: shared.channel.unpaid })
  }

  /** Counts bytes we served; emits `peer:unpaid` when that chokes the payer. */
  onServed (length: number): void {
    const shared = this.shared
    if (shared === null) return
    const decision = shared.channel.onServed(length)
    if (decision === 'waiting') this.waitForReceipt(shared)
    else if (decision === 'choked') this.chokeAll(shared)
  }

  /** Reads what backs the payer before serving it anything charged; retried while the session lasts. */
  readBacking (coverage: PayeeCoverage, payer: PayeeChannel['payer']): void {
    coverage.prepare(payer)
      .then(() => {
        this.backed = true
        this.onBackingChanged()
      })
      .catch((err: unknown) => {
        if (this.ext.state !== 'ready') return
        this.c.logger.warn({ err, payer, peerId: this.peerId }, 'reading the payer\'s escrow balance and lane failed; not serving it yet')
        setTimeout(() => { if (this.ext.state === 'ready') this.readBacking(coverage, payer) }, BACKING_RETRY_MS).unref()
      })
  }

  /** Checks a receipt and stores it; it counts once stored (onStored). */
  onReceipt (receipt: SignedReceipt): void {
    const shared = this.shared
    if (shared === null) return
    const ch = shared.channel
    try {
      ch.check(receipt)
    } catch (err) {
      if (err instanceof InvalidReceiptError) { this.refuseReceipt(err.refusal, err.message); return }
      throw err
    }
    ch.storingReceipt()
    endReceiptWait(ch)
    let done = (): void => {}
    const stored = new Promise<void>(resolve => { done = resolve })
    // the newest write settles after every earlier one of the channel (the writer keeps their order)
    storing.set(ch, stored)
    this.c.writer.write({ key: shared.key, role: 'payee', receipt, pricePerMiB: ch.pricePerMiB }, err => {
      try {
        if (err === null) { this.onStored(shared, receipt); return }
        if (ch.storeFailed() === 'choked') this.chokeAll(shared)
        if (err instanceof NonMonotonicReceiptError) { this.refuseReceipt('stale', err.message); return }
        this.c.logger.error({ err, peerId: this.peerId }, 'storing a receipt failed; not counting it')
        this.ext.refuse('internal', 'payee could not store the receipt')
      } finally {
        if (storing.get(ch) === stored) storing.delete(ch)
        done()
      }
    })
  }

  /**
   * Resolves once the receipts of the peer's channel being stored now are done (counted or refused), null when
   * none is; the swarm holds the peer's refused requests until then (UploadPolicy.settling).
   */
  get settling (): Promise<void> | null {
    const ch = this.channel
    if (ch === null || !ch.settling) return null
    return storing.get(ch) ?? receiptWait(ch) ?? null
  }

  /** The payer is choked; the credit is the payer's, not the connection's, so every connection of it is. */
  private chokeAll (shared: Shared<PayeeChannel>): void {
    const ch = shared.channel
    this.c.logger.debug({ peerId: this.peerId, unpaid: ch.unpaid, credit: ch.credit }, 'payer choked: what it owes leaves no room in its credit for another block')
    for (const s of this.c.connections(shared)) this.c.emit('peer:unpaid', { peerId: s.peerId, unpaid: ch.unpaid })
  }

  /** The payer reached its credit; its requests wait for its next receipt (receipt-wait.ts), or it is choked. */
  private waitForReceipt (shared: Shared<PayeeChannel>): void {
    waitForReceipt(shared.channel, () => { if (shared.channel.endWait() === 'choked') this.chokeAll(shared) })
  }

  /** A stored receipt counts: it is the newest, it may lift a choke and earn the payer more credit. */
  private onStored (shared: Shared<PayeeChannel>, receipt: SignedReceipt): void {
    const ch = shared.channel
    const lifted = ch.commit(receipt)
    if (lifted === 'choked') this.chokeAll(shared)
    if (ch.choked) this.c.logger.debug({ peerId: this.peerId, unpaid: ch.unpaid, credit: ch.credit }, 'receipt stored; payer still choked until it owes at most half its credit')
    else if (lifted === 'unchoked') this.c.logger.debug({ peerId: this.peerId, unpaid: ch.unpaid, credit: ch.credit }, 'receipt stored; payer unchoked')
    this.c.emit('receipt:received', { peerId: this.peerId, receipt })
    const connections = this.c.connections(shared)
    const grown = ch.grow()
    if (grown !== null) for (const s of connections) if (s.ext.ready) s.ext.sendCredit(grown)
    // still at its credit (what it was granted just now included): its requests wait for its next receipt
    if (lifted === 'waiting' && ch.settling) this.waitForReceipt(shared)
    // a receipt also matters to a payer that coverage refused: what it owes may now be settled, ask again
    if (lifted === 'unchoked' || grown !== null || connections.some(x => x.payee.refusedFor !== null)) {
      for (const s of connections) this.c.emit('peer:paid-up', { peerId: s.peerId, unpaid: ch.unpaid })
    }
  }

  private refuseReceipt (code: ErrorName, reason: string): void {
    this.c.logger.warn({ peerId: this.peerId, code, err: reason }, 'receipt refused')
    this.c.emit('receipt:refused', { peerId: this.peerId, code, reason })
    this.ext.refuse(code, reason)
  }
}
