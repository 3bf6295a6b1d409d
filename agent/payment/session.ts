/**
 * One peer's payment session: glues the seedpay extension (wire) to the channels (pay) and the ledger.
 * Both directions run at once: the peer pays us for what we upload (payee channel) and we pay it for
 * verified bytes we download (payer channel).
 *
 * Ordering that makes it crash-safe: a payer writes each receipt to the ledger before sending it; a payee
 * stores each receipt before it counts (before anything more is served on it). Both go through the agent's
 * ReceiptWriter, which commits what one burst of work wrote (all sessions) in one durable transaction.
 *
 * A payer does not sign per verified piece: it signs at once when a quarter of the credit it was granted is owed,
 * else at most once per RECEIPT_INTERVAL_MS (agent/pay/receipt-pacer.ts); a payee raises the credit it grants as
 * the payer pays (agent/pay/credit.ts) and tells it with a `credit` message.
 */
import type { Logger } from 'pino'
import {
  checkTerms, CreditPolicy, INITIAL_CREDIT, priceText, InvalidReceiptError, paceReceipt, receiptStep, TermsRefusedError, ForeignResyncReceiptError, InvalidHelloProofError,
  type Address, type EscrowDomain, type HelloProver, type PayeeChannel, type PayerChannel, type SignedReceipt
} from '../pay/index.ts'
import type { SeedpayExtension, SeedpayEvents, HelloMessage, HelloIds, ErrorName } from '../wire/index.ts'
import type { Ledger } from '../ledger/index.ts'
import { NonMonotonicReceiptError } from '../ledger/index.ts'
import type { ChannelRegistry, PayerShared, Shared } from './channels.ts'
import type { PaymentEvents } from './events.ts'
import type { PayeeCoverage } from './payee-coverage.ts'
import type { PayerFunds } from './payer-funds.ts'
import type { ReceiptWriter } from './receipt-writer.ts'
import { endReceiptWait, receiptWait, waitForReceipt } from './receipt-wait.ts'

/** Payee side: per channel, the write of its newest receipt being stored (`settling`). */
const storing = new WeakMap<PayeeChannel, Promise<void>>()

/** Receipts a payer may send before its signer lookup ends; one per piece, so this is many pieces. */
const MAX_QUEUED_RECEIPTS = 64
/** A payer's backing that could not be read is tried again this often while its session lasts. */
const BACKING_RETRY_MS = 5_000

export interface PaymentSessionComponents {
  logger: Logger
  ledger: Ledger
  /** Group commit: every receipt is stored through it, sent (payer) or counted (payee) once stored. */
  writer: ReceiptWriter
  /** Milliseconds, monotonic; paces receipts. @default performance.now */
  clock?: () => number
  channels: ChannelRegistry
  policy: CreditPolicy
  /** Re-reads a payer's registered signers before its hello proof and receipts are checked. @default none */
  refreshSigners?: (payer: Address) => Promise<void>
  /** Signs our hello proof and checks the peer's (hello-proof.ts). */
  prover: HelloProver
  /** Payee side: what backs each payer; without it a payer is served on credit alone. @default none */
  coverage?: PayeeCoverage
  /** Payer side: the budget we sign within; without it receipts are unbounded. @default none */
  funds?: PayerFunds
  emit: <K extends keyof PaymentEvents>(name: K, event: PaymentEvents[K]) => void
}

export interface PaymentSessionInit {
  domain: EscrowDomain
  /** Our account: payer in the channel where we pay, payee where we are paid. */
  account: Address
  /** What we charge per MiB we upload. */
  pricePerMiB: bigint
  /** The most we pay per MiB; a peer asking more is refused. */
  maxPricePerMiB: bigint
  /** The lane our hello asks a payer to reserve for us (0: none). @default 0 */
  wantLane?: bigint
}

export class PaymentSession {
  readonly ext: SeedpayExtension
  private payeeShared: Shared<PayeeChannel> | null = null
  private payerShared: PayerShared | null = null
  /** Receipts that arrived while the payer's signers were being refreshed, in order. */
  private queued: SignedReceipt[] | null = null
  private grantedCredit: bigint | null = null
  /** Payer side: bytes verified from the peer before its hello proof checked out (paid once it does). */
  private verifiedBeforeAdmission = 0
  /** Payee side: the payer's backing has been read (nothing charged is served before). */
  private backed = false
  /** Payee side: the last coverage decision that refused a block, reported once per change. */
  private refusedFor: 'settle' | 'wait' | null = null
  /** The extension listeners this session added, so `detach` can take them off. */
  private readonly unlisten: Array<() => void> = []
  private readonly c: PaymentSessionComponents
  private readonly init: PaymentSessionInit

  constructor (components: PaymentSessionComponents, init: PaymentSessionInit, ext: SeedpayExtension) {
    this.c = components
    this.init = init
    this.ext = ext
    this.listen('peer:hello', ({ hello }) => { this.onHello(hello) })
    this.listen('receipt:received', ({ receipt }) => { this.onReceipt(receipt) })
    this.listen('credit:received', ({ credit }) => { this.onCredit(credit) })
    this.listen('peer:protocol-error', e => { this.c.emit('peer:protocol-error', { peerId: this.peerId, ...e }) })
    this.listen('peer:refused', e => {
      // the price the peer asked tells a person how far off their --max-price is
      const hello = ext.peerHello
      this.c.emit('peer:refused', { peerId: this.peerId, ...e, ...(hello !== null ? { askedPricePerMiB: hello.pricePerMiB } : {}) })
    })
    this.listen('peer:closed', ({ reason }) => {
      this.c.channels.release(this)
      this.c.emit('peer:closed', { peerId: this.peerId, reason })
    })
  }

  private listen<K extends keyof SeedpayEvents> (name: K, fn: (event: SeedpayEvents[K]) => void): void {
    this.ext.on(name, fn)
    this.unlisten.push(() => { this.ext.off(name, fn) })
  }

  /**
   * Lets go of the wire before its hello exchange: the connection was bound to another network's agent
   * (agent/payment/networks.ts). Nothing was opened yet (channels open on the peer's verified hello).
   */
  detach (): void {
    if (this.payeeShared !== null || this.payerShared !== null) throw new Error('a session with open channels cannot be detached')
    for (const off of this.unlisten.splice(0)) off()
  }

  private get payee (): PayeeChannel | null { return this.payeeShared?.channel ?? null }
  private get payer (): PayerChannel | null { return this.payerShared?.channel ?? null }

  get peerId (): string | null { return this.ext.peerId }
  get ready (): boolean { return this.payee !== null && this.ext.ready }
  /** The peer's session state as payee channel (it pays us), if open. */
  get asPayee (): PayeeChannel | null { return this.payee }
  /** Our channel paying the peer, if open. */
  get asPayer (): PayerChannel | null { return this.payer }
  /** Bytes the peer serves us ahead of our receipts, from its hello; null until then or if it is free. */
  get creditGranted (): bigint | null { return this.grantedCredit }
  /** The peer's account once its hello proof checked out. */
  get account (): Address | null { return this.payeeShared?.channel.payer ?? null }
  /** Whether the peer charges us (its hello asked a price). */
  get charges (): boolean { return this.grantedCredit !== null }

  /**
   * The hello we send, with the proof that we speak for our account on this connection; `last` (the peer's
   * newest receipt to us) only once we know who the peer claims to be. That is before its proof is checked,
   * which is harmless: the receipt is the peer account's own signature, and settling it would publish it.
   */
  helloFor (peer: HelloMessage | null, ids: HelloIds): Omit<HelloMessage, 't'> {
    const hello: Omit<HelloMessage, 't'> = {
      chainId: this.init.domain.chainId,
      escrow: this.init.domain.escrow.toLowerCase() as Address,
      account: this.init.account,
      pricePerMiB: this.init.pricePerMiB,
      credit: this.c.policy.initial,
      proof: this.c.prover.prove({ account: this.init.account, sender: ids.local, receiver: ids.remote, infoHash: ids.infoHash })
    }
    if (this.init.pricePerMiB > 0n && (this.init.wantLane ?? 0n) > 0n) hello.lane = this.init.wantLane
    if (peer !== null && peer.account !== this.init.account) {
      const last = this.c.ledger.newest(this.c.channels.keyFor(peer.account, this.init.account))
      if (last !== null) hello.last = last
    }
    return hello
  }

  /** Whether the peer speaks seedpay ('unknown' until its handshakes arrived). */
  get peerSupport (): 'unknown' | 'yes' | 'no' { return this.ext.peerSupport }

  /**
   * Whether a block of `length` may be served now: for a seedpay peer only after the hello exchange and
   * within its credit; for an ordinary peer as `serveOrdinary` says; nothing before we know which it is.
   */
  mayServe (length: number, serveOrdinary: boolean): boolean {
    const support = this.ext.peerSupport
    if (support === 'no') return serveOrdinary
    if (support === 'unknown') return false
    if (this.ext.state === 'closing' || this.ext.state === 'closed') return false
    if (this.init.pricePerMiB === 0n) return true
    const ch = this.payee
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

  /** Payee side: the payer's backing changed (read, settled, deposited, reserved); it may be served again. */
  onBackingChanged (): void {
    const shared = this.payeeShared
    if (shared === null) return
    for (const s of sessionsOf(shared)) this.c.emit('peer:paid-up', { peerId: s.peerId, unpaid: shared.channel.unpaid })
  }

  /** Counts bytes we served; emits `peer:unpaid` when that chokes the payer. */
  onServed (length: number): void {
    const shared = this.payeeShared
    // Free (price 0): served regardless of receipts (mayServe), and none come, so there is no credit to run out.
    if (shared === null || this.init.pricePerMiB === 0n) return
    const decision = shared.channel.onServed(length)
    if (decision === 'waiting') this.waitForReceipt(shared)
    else if (decision === 'choked') this.chokeAll(shared)
  }

  /** Counts verified bytes received from the peer; they are paid for by the next paced receipt. */
  onVerified (length: number): void {
    const shared = this.payerShared
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
    const shared = this.payerShared
    // A peer that charges nothing is owed nothing: a receipt for 0 would cost a signature and two fsyncs per
    // step and settle nothing (in a swarm of paying leechers, most receipts were these).
    if (shared === null || !this.ext.ready || shared.channel.pricePerMiB === 0n) return
    const now = this.now()
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
   * writer and sends it once it is durable. Called by the pacer, when the budget grows (a lane was reserved)
   * and when the download ends (nothing left owed on a timer).
   * @returns the receipt signed (sent once stored), or null if nothing could be signed
   */
  payOwed (): SignedReceipt | null {
    const shared = this.payerShared
    if (shared === null || !this.ext.ready || shared.channel.pricePerMiB === 0n) return null
    if (shared.pace.timer !== null) { clearTimeout(shared.pace.timer); shared.pace.timer = null }
    const ch = shared.channel
    const funds = this.c.funds
    const receipt = ch.next(funds?.headroom(ch.payee))
    if (receipt === null) return null
    shared.pace.lastAt = this.now()
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
      const carrier = sessionsOf(shared).find(u => u.ext.ready)
      if (carrier === undefined) return // stored; the payee learns it from our next receipt, which covers it
      carrier.ext.sendReceipt(receipt)
      ch.sent(receipt)
      this.c.emit('receipt:signed', { peerId: carrier.peerId, receipt })
    })
    return receipt
  }

  /** Payer side: the peer grants a new credit; our requests may fill it (the downloader asks again). */
  private onCredit (credit: bigint): void {
    if (this.grantedCredit === null) return // a free peer: nothing to bound
    this.grantedCredit = credit
    this.c.emit('credit:granted', { peerId: this.peerId, credit })
  }

  private now (): number {
    return (this.c.clock ?? performance.now.bind(performance))()
  }

  private onHello (hello: HelloMessage): void {
    try {
      checkTerms({ domain: this.init.domain, account: this.init.account }, hello, this.init.maxPricePerMiB)
    } catch (err) {
      if (err instanceof TermsRefusedError) { this.ext.refuse(err.reason, err.message); return }
      throw err
    }
    // what the peer grants us only bounds our own requests (downloadPolicy), so it may apply before the proof
    if (hello.pricePerMiB > 0n) this.grantedCredit = hello.credit
    if (this.c.refreshSigners !== undefined) this.refreshThenReady(this.c.refreshSigners, hello)
    else this.admit(hello)
  }

  /**
   * Holds receipts until the peer account's signers are known and its proof checked; a failed lookup leaves
   * the account's own key.
   */
  private refreshThenReady (refresh: (payer: Address) => Promise<void>, hello: HelloMessage): void {
    this.queued = []
    refresh(hello.account)
      .catch((err: unknown) => { this.c.logger.warn({ err, payer: hello.account }, 'signer lookup failed; only the payer\'s own key counts') })
      .then(() => {
        const queued = this.queued ?? []
        this.queued = null
        if (this.ext.state !== 'ready') return
        if (!this.admit(hello)) return
        for (const r of queued) this.onReceipt(r)
      })
      .catch((err: unknown) => {
        this.c.logger.error({ err, peerId: this.peerId }, 'admitting the peer failed')
        this.ext.refuse('internal', 'internal error')
      })
  }

  /**
   * Checks the peer's hello proof, and only then opens the channels both ways (credit, ledger rows), adopts
   * its `last` and reports `peer:ready`: a peer merely claiming an account gets nothing on its credit.
   * @returns whether the peer was admitted
   */
  private admit (hello: HelloMessage): boolean {
    const ids = this.ext.ids
    if (ids === null) throw new Error('hello received before both peer ids were known')
    try {
      this.c.prover.verify({ account: hello.account, sender: ids.remote, receiver: ids.local, infoHash: ids.infoHash }, hello.proof)
    } catch (err) {
      if (!(err instanceof InvalidHelloProofError)) throw err
      this.c.logger.warn({ peerId: this.peerId, account: hello.account, recovered: err.recovered, reason: err.reason }, 'hello proof refused')
      this.ext.refuse('bad-proof', err.message)
      return false
    }
    const payee = this.c.channels.acquirePayee(hello.account, this.init.pricePerMiB, this)
    const payer = this.c.channels.acquirePayer(hello.account, hello.pricePerMiB, this)
    if (payee === null || payer === null) {
      this.c.channels.release(this)
      const [side, open, asked] = payee === null
        ? ['it pays us', this.c.channels.payeePrice(hello.account), this.init.pricePerMiB]
        : ['we pay it', this.c.channels.payerPrice(hello.account), hello.pricePerMiB]
      this.ext.refuse('price-in-use', `the channel in which ${side} is open at ${priceText(open ?? 0n)} on another connection, this one is at ${priceText(asked)}: one price per channel at a time`)
      return false
    }
    this.payeeShared = payee
    this.payerShared = payer
    if (hello.last !== undefined && !this.resync(hello.last)) return false
    if (this.verifiedBeforeAdmission > 0) {
      this.payerShared.channel.onVerified(this.verifiedBeforeAdmission)
      this.verifiedBeforeAdmission = 0
    }
    // a payer already paying on another connection earned more than the hello's credit: tell this one too
    const earned = this.payeeShared.channel.credit
    if (this.init.pricePerMiB > 0n && earned > this.c.policy.initial) this.ext.sendCredit(earned)
    if (this.init.pricePerMiB > 0n && this.c.coverage !== undefined) this.readBacking(this.c.coverage, hello.account)
    if (hello.pricePerMiB > 0n && this.c.funds !== undefined) this.readFunds(this.c.funds, hello)
    this.c.emit('peer:ready', { peerId: this.peerId, hello })
    // pay at once for what arrived before admission (with a budget, readFunds pays once the payee is known)
    if (hello.pricePerMiB === 0n || this.c.funds === undefined) this.payOwed()
    return true
  }

  /** Payee side: read what backs the payer before serving it anything charged; retried while the session lasts. */
  private readBacking (coverage: PayeeCoverage, payer: Address): void {
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

  /** Payer side: learn the payee's lane and paidOut (and reserve the lane it asks for) before paying it. */
  private readFunds (funds: PayerFunds, hello: HelloMessage): void {
    funds.prepare(hello.account, hello.lane ?? 0n)
      .then(() => { this.payOwed() })
      .catch((err: unknown) => {
        if (this.ext.state !== 'ready') return
        this.c.logger.warn({ err, payee: hello.account, peerId: this.peerId }, 'reading our lane for the payee failed; not paying it yet')
        setTimeout(() => { if (this.ext.state === 'ready') this.readFunds(funds, hello) }, BACKING_RETRY_MS).unref()
      })
  }

  private resync (last: SignedReceipt): boolean {
    const ch = this.payer!
    try {
      if (!ch.resync(last)) return true
    } catch (err) {
      if (err instanceof ForeignResyncReceiptError || err instanceof InvalidReceiptError) {
        this.ext.refuse('foreign-resync', err.message)
        return false
      }
      throw err
    }
    this.c.ledger.record(this.payerShared!.key, 'payer', last, ch.pricePerMiB)
    this.c.logger.warn({ peerId: this.peerId, bytes: last.bytes, amount: last.amount }, 'resynchronised from the payee\'s newest receipt')
    this.c.emit('peer:resynced', { peerId: this.peerId, receipt: last })
    return true
  }

  private onReceipt (receipt: SignedReceipt): void {
    if (this.queued !== null) {
      if (this.queued.length >= MAX_QUEUED_RECEIPTS) { this.ext.refuse('protocol', 'receipts flood before signer lookup'); return }
      this.queued.push(receipt)
      return
    }
    const shared = this.payeeShared
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
   * Payee side: resolves once the receipts of the peer's channel being stored now are done (counted or refused),
   * null when none is; the swarm holds the peer's refused requests until then (UploadPolicy.settling).
   */
  get settling (): Promise<void> | null {
    const ch = this.payeeShared?.channel
    if (ch === undefined || !ch.settling) return null
    return storing.get(ch) ?? receiptWait(ch) ?? null
  }

  /** Payee side: the payer is choked; the credit is the payer's, not the connection's, so every connection of it is. */
  private chokeAll (shared: Shared<PayeeChannel>): void {
    const ch = shared.channel
    this.c.logger.debug({ peerId: this.peerId, unpaid: ch.unpaid, credit: ch.credit }, 'payer choked: what it owes leaves no room in its credit for another block')
    for (const s of sessionsOf(shared)) this.c.emit('peer:unpaid', { peerId: s.peerId, unpaid: ch.unpaid })
  }

  /** Payee side: the payer reached its credit; its requests wait for its next receipt (receipt-wait.ts), or it is choked. */
  private waitForReceipt (shared: Shared<PayeeChannel>): void {
    waitForReceipt(shared.channel, () => { if (shared.channel.endWait() === 'choked') this.chokeAll(shared) })
  }

  /** Payee side: a stored receipt counts: it is the newest, it may lift a choke and earn the payer more credit. */
  private onStored (shared: Shared<PayeeChannel>, receipt: SignedReceipt): void {
    const ch = shared.channel
    const lifted = ch.commit(receipt)
    if (lifted === 'choked') this.chokeAll(shared)
    if (ch.choked) this.c.logger.debug({ peerId: this.peerId, unpaid: ch.unpaid, credit: ch.credit }, 'receipt stored; payer still choked until it owes at most half its credit')
    else if (lifted === 'unchoked') this.c.logger.debug({ peerId: this.peerId, unpaid: ch.unpaid, credit: ch.credit }, 'receipt stored; payer unchoked')
    this.c.emit('receipt:received', { peerId: this.peerId, receipt })
    const grown = ch.grow()
    if (grown !== null) for (const s of sessionsOf(shared)) if (s.ext.ready) s.ext.sendCredit(grown)
    // still at its credit (what it was granted just now included): its requests wait for its next receipt
    if (lifted === 'waiting' && ch.settling) this.waitForReceipt(shared)
    // a receipt also matters to a payer that coverage refused: what it owes may now be settled, ask again
    if (lifted === 'unchoked' || grown !== null || sessionsOf(shared).some(x => x.refusedFor !== null)) {
      for (const s of sessionsOf(shared)) this.c.emit('peer:paid-up', { peerId: s.peerId, unpaid: ch.unpaid })
    }
  }

  private refuseReceipt (code: ErrorName, reason: string): void {
    this.c.logger.warn({ peerId: this.peerId, code, err: reason }, 'receipt refused')
    this.c.emit('receipt:refused', { peerId: this.peerId, code, reason })
    this.ext.refuse(code, reason)
  }
}

function sessionsOf (shared: Shared<unknown>): PaymentSession[] {
  return [...shared.users].filter((u): u is PaymentSession => u instanceof PaymentSession)
}
