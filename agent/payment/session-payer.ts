/**
 * The payer half of a payment session (session.ts): we pay the peer for verified bytes we download. It does not
 * sign per verified piece: it signs at once when a quarter of the credit it was granted is owed, else at most once
 * per RECEIPT_INTERVAL_MS (agent/pay/receipt-pacer.ts), within the budget (payer-funds.ts). Each receipt is stored
 * through the agent's ReceiptWriter before it is sent, so a crash never loses one the payee holds.
 */
import type { Logger } from 'pino'
import { ForeignResyncReceiptError, INITIAL_CREDIT, InvalidReceiptError, paceReceipt, receiptStep, type PayerChannel, type SignedReceipt } from '../pay/index.ts'
import type { HelloMessage, SeedpayExtension } from '../wire/index.ts'
import type { Ledger } from '../ledger/index.ts'
import type { PayerShared } from './channels.ts'
import type { PaymentEvents } from './events.ts'
import type { PayerFunds } from './payer-funds.ts'
import type { ReceiptWriter } from './receipt-writer.ts'

/** Our lane and paidOut for a payee that could not be read are tried again this often while its session lasts. */
const FUNDS_RETRY_MS = 5_000

/** One connection to the payee: whichever is ready carries the channel's receipts. */
export interface PayeeConnection {
  readonly peerId: string | null
  readonly ext: SeedpayExtension
}

export interface PayerSideComponents {
  logger: Logger
  ledger: Ledger
  writer: ReceiptWriter
  /** The budget we sign within; without it receipts are unbounded. */
  funds: PayerFunds | undefined
  /** Milliseconds, monotonic; paces receipts. */
  clock: () => number
  emit: <K extends keyof PaymentEvents>(name: K, event: PaymentEvents[K]) => void
  /** Every connection holding the channel, this one included. */
  connections: (shared: PayerShared) => PayeeConnection[]
}

export class PayerSide {
  /** Our channel paying the peer, once its hello proof checked out. */
  shared: PayerShared | null = null
  /** Bytes the peer serves us ahead of our receipts, from its hello; null until then or if it is free. */
  grantedCredit: bigint | null = null
  /** Bytes verified from the peer before its hello proof checked out (paid once it does). */
  private verifiedBeforeAdmission = 0
  private readonly c: PayerSideComponents
  private readonly ext: SeedpayExtension

  constructor (components: PayerSideComponents, ext: SeedpayExtension) {
    this.c = components
    this.ext = ext
  }

  get channel (): PayerChannel | null { return this.shared?.channel ?? null }

  private get peerId (): string | null { return this.ext.peerId }

  /** At admission, once the channel is open (and resynchronised): what was verified before is owed now. */
  countEarlyBytes (): void {
    if (this.shared === null || this.verifiedBeforeAdmission === 0) return
    this.shared.channel.onVerified(this.verifiedBeforeAdmission)
    this.verifiedBeforeAdmission = 0
  }

  /** Counts verified bytes received from the peer; they are paid for by the next paced receipt. */
  onVerified (length: number): void {
    const shared = this.shared
    if (shared === null) {
      // The peer may serve us once it checked our proof, before we checked its: keep the count for admission.
      if (this.ext.peerSupport === 'yes' && this.ext.state !== 'closed') this.verifiedBeforeAdmission += length
      return
    }
    if (!this.ext.ready) return
    shared.channel.onVerified(length)
    this.pace()
  }

  /**
   * Signs now, or arms the channel's timer for when paceReceipt says; a quarter of the granted credit owed
   * signs at once (so the payee never waits on our timer to serve more).
   */
  pace (): void {
    const shared = this.shared
    // A peer that charges nothing is owed nothing: a receipt for 0 would cost a signature and two fsyncs per
    // step and settle nothing (in a swarm of paying leechers, most receipts were these).
    if (shared === null || !this.ext.ready || shared.channel.pricePerMiB === 0n) return
    const now = this.c.clock()
    const step = receiptStep(this.grantedCredit ?? INITIAL_CREDIT)
    const decision = paceReceipt({ owed: shared.channel.owed, step, lastAt: shared.pace.lastAt, now })
    if (decision === 'idle') return
    if (decision === 'now') { this.payOwed(); return }
    if (shared.pace.timer !== null) return
    shared.pace.timer = setTimeout(() => {
      shared.pace.timer = null
      this.payOwed()
    }, Math.max(0, Math.ceil(decision - now)))
    shared.pace.timer.unref()
  }

  /**
   * Signs a receipt for what we owe the peer, within our budget (all of it without one), stores it through the
   * writer and sends it once it is durable.
   * @returns the receipt signed (sent once stored), or null if nothing could be signed
   */
  payOwed (): SignedReceipt | null {
    const shared = this.shared
    if (shared === null || !this.ext.ready || shared.channel.pricePerMiB === 0n) return null
    if (shared.pace.timer !== null) { clearTimeout(shared.pace.timer); shared.pace.timer = null }
    const ch = shared.channel
    const funds = this.c.funds
    const receipt = ch.next(funds?.headroom(ch.payee))
    if (receipt === null) return null
    shared.pace.lastAt = this.c.clock()
    // committed now so the next receipt builds on it; it leaves only once stored, and receipts of one channel are
    // stored and sent in the order they were signed
    ch.commit(receipt)
    funds?.signed(ch.payee, receipt.amount)
    this.c.writer.write({ key: shared.key, role: 'payer', receipt, pricePerMiB: ch.pricePerMiB }, err => {
      if (err !== null) {
        // never sent: the peer will choke us when our credit runs out
        this.c.logger.error({ err, peerId: this.peerId }, 'storing our receipt failed; not sending it')
        this.ext.refuse('internal', 'payer could not store its receipt')
        return
      }
      // one connection carries a channel's receipts, so they can never arrive out of order
      const carrier = this.c.connections(shared).find(u => u.ext.ready)
      if (carrier === undefined) return // stored; the payee learns it from our next receipt, which covers it
      carrier.ext.sendReceipt(receipt)
      ch.sent(receipt)
      this.c.emit('receipt:signed', { peerId: carrier.peerId, receipt })
    })
    return receipt
  }

  /** The peer grants a new credit; our requests may fill it (the downloader asks again). */
  onCredit (credit: bigint): void {
    if (this.grantedCredit === null) return // a free peer: nothing to bound
    this.grantedCredit = credit
    this.c.emit('credit:granted', { peerId: this.peerId, credit })
  }

  /** Learns the payee's lane and paidOut (and reserves the lane it asks for) before paying it. */
  readFunds (funds: PayerFunds, hello: HelloMessage): void {
    funds.prepare(hello.account, hello.lane ?? 0n)
      .then(() => { this.payOwed() })
      .catch((err: unknown) => {
        if (this.ext.state !== 'ready') return
        this.c.logger.warn({ err, payee: hello.account, peerId: this.peerId }, 'reading our lane for the payee failed; not paying it yet')
        setTimeout(() => { if (this.ext.state === 'ready') this.readFunds(funds, hello) }, FUNDS_RETRY_MS).unref()
      })
  }

  /**
   * Adopts the payee's newest receipt from its hello when it is ahead of ours (we lost our ledger), else keeps ours.
   * @returns false if it is not ours to adopt: the peer was refused
   */
  resync (last: SignedReceipt): boolean {
    const shared = this.shared!
    const ch = shared.channel
    try {
      if (!ch.resync(last)) return true
    } catch (err) {
      if (err instanceof ForeignResyncReceiptError || err instanceof InvalidReceiptError) {
        this.ext.refuse('foreign-resync', err.message)
        return false
      }
      throw err
    }
    this.c.ledger.record(shared.key, 'payer', last, ch.pricePerMiB)
    this.c.logger.warn({ peerId: this.peerId, bytes: last.bytes, amount: last.amount }, 'resynchronised from the payee\'s newest receipt')
    this.c.emit('peer:resynced', { peerId: this.peerId, receipt: last })
    return true
  }
}
