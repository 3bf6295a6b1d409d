/**
 * One peer's payment session: glues the seedpay extension (wire) to the channels (pay) and the ledger.
 * Both directions run at once: the peer pays us for what we upload (the payee half, session-payee.ts) and we pay it
 * for verified bytes we download (the payer half, session-payer.ts). This file is the hello, the admission that
 * opens both channels, and what the swarm asks of the session.
 *
 * Ordering that makes it crash-safe: a payer writes each receipt to the ledger before sending it; a payee
 * stores each receipt before it counts (before anything more is served on it). Both go through the agent's
 * ReceiptWriter, which commits what one burst of work wrote (all sessions) in one durable transaction.
 *
 * A payee raises the credit it grants as the payer pays (agent/pay/credit.ts) and tells it with a `credit` message.
 */
import type { Logger } from 'pino'
import {
  checkTerms, CreditPolicy, priceText, TermsRefusedError, InvalidHelloProofError,
  type Address, type EscrowDomain, type HelloProver, type PayeeChannel, type PayerChannel, type SignedReceipt
} from '../pay/index.ts'
import type { SeedpayExtension, SeedpayEvents, HelloMessage, HelloIds } from '../wire/index.ts'
import type { Ledger } from '../ledger/index.ts'
import type { ChannelRegistry, Shared } from './channels.ts'
import type { PaymentEvents } from './events.ts'
import type { PayeeCoverage } from './payee-coverage.ts'
import type { PayerFunds } from './payer-funds.ts'
import type { ReceiptWriter } from './receipt-writer.ts'
import { PayeeSide } from './session-payee.ts'
import { PayerSide } from './session-payer.ts'

/** Receipts a payer may send before its signer lookup ends; one per piece, so this is many pieces. */
const MAX_QUEUED_RECEIPTS = 64

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
  /** The peer pays us: its channel, coverage, stored receipts. */
  readonly payee: PayeeSide
  /** We pay the peer: our channel, pacing, signed receipts. */
  readonly payer: PayerSide
  /** Receipts that arrived while the payer's signers were being refreshed, in order. */
  private queued: SignedReceipt[] | null = null
  /** The extension listeners this session added, so `detach` can take them off. */
  private readonly unlisten: Array<() => void> = []
  private readonly c: PaymentSessionComponents
  private readonly init: PaymentSessionInit

  constructor (components: PaymentSessionComponents, init: PaymentSessionInit, ext: SeedpayExtension) {
    this.c = components
    this.init = init
    this.ext = ext
    this.payee = new PayeeSide({ logger: components.logger, writer: components.writer, coverage: components.coverage, emit: components.emit, connections: sessionsOf }, ext)
    const clock = components.clock ?? performance.now.bind(performance)
    this.payer = new PayerSide({ logger: components.logger, ledger: components.ledger, writer: components.writer, funds: components.funds, clock, emit: components.emit, connections: sessionsOf }, ext)
    this.listen('peer:hello', ({ hello }) => { this.onHello(hello) })
    this.listen('receipt:received', ({ receipt }) => { this.onReceipt(receipt) })
    this.listen('credit:received', ({ credit }) => { this.payer.onCredit(credit) })
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
    if (this.payee.shared !== null || this.payer.shared !== null) throw new Error('a session with open channels cannot be detached')
    for (const off of this.unlisten.splice(0)) off()
  }

  get peerId (): string | null { return this.ext.peerId }
  get ready (): boolean { return this.payee.channel !== null && this.ext.ready }
  /** The peer's session state as payee channel (it pays us), if open. */
  get asPayee (): PayeeChannel | null { return this.payee.channel }
  /** Our channel paying the peer, if open. */
  get asPayer (): PayerChannel | null { return this.payer.channel }
  /** Bytes the peer serves us ahead of our receipts, from its hello; null until then or if it is free. */
  get creditGranted (): bigint | null { return this.payer.grantedCredit }
  /** The peer's account once its hello proof checked out. */
  get account (): Address | null { return this.payee.channel?.payer ?? null }
  /** Whether the peer charges us (its hello asked a price). */
  get charges (): boolean { return this.payer.grantedCredit !== null }

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
   * within its credit and backing (the payee half); for an ordinary peer as `serveOrdinary` says; nothing before
   * we know which it is.
   */
  mayServe (length: number, serveOrdinary: boolean): boolean {
    const support = this.ext.peerSupport
    if (support === 'no') return serveOrdinary
    if (support === 'unknown') return false
    if (this.ext.state === 'closing' || this.ext.state === 'closed') return false
    if (this.init.pricePerMiB === 0n) return true
    return this.payee.mayServe(length)
  }

  /** Payee side: the payer's backing changed (read, settled, deposited, reserved); it may be served again. */
  onBackingChanged (): void { this.payee.onBackingChanged() }

  /** Counts bytes we served; emits `peer:unpaid` when that chokes the payer. */
  onServed (length: number): void {
    // Free (price 0): served regardless of receipts (mayServe), and none come, so there is no credit to run out.
    if (this.init.pricePerMiB === 0n) return
    this.payee.onServed(length)
  }

  /** Counts verified bytes received from the peer; they are paid for by the next paced receipt. */
  onVerified (length: number): void { this.payer.onVerified(length) }

  /** Signs now, or arms the channel's timer for when the pacer says (session-payer.ts). */
  pace (): void { this.payer.pace() }

  /**
   * Signs a receipt for what we owe the peer, within our budget, and sends it once stored. Called by the pacer,
   * when the budget grows (a lane was reserved) and when the download ends (nothing left owed on a timer).
   * @returns the receipt signed (sent once stored), or null if nothing could be signed
   */
  payOwed (): SignedReceipt | null { return this.payer.payOwed() }

  /**
   * Payee side: resolves once the receipts of the peer's channel being stored now are done (counted or refused),
   * null when none is; the swarm holds the peer's refused requests until then (UploadPolicy.settling).
   */
  get settling (): Promise<void> | null { return this.payee.settling }

  private onHello (hello: HelloMessage): void {
    try {
      checkTerms({ domain: this.init.domain, account: this.init.account }, hello, this.init.maxPricePerMiB)
    } catch (err) {
      if (err instanceof TermsRefusedError) { this.ext.refuse(err.reason, err.message); return }
      throw err
    }
    // what the peer grants us only bounds our own requests (downloadPolicy), so it may apply before the proof
    if (hello.pricePerMiB > 0n) this.payer.grantedCredit = hello.credit
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
    this.payee.shared = payee
    this.payer.shared = payer
    if (hello.last !== undefined && !this.payer.resync(hello.last)) return false
    this.payer.countEarlyBytes()
    // a payer already paying on another connection earned more than the hello's credit: tell this one too
    const earned = payee.channel.credit
    if (this.init.pricePerMiB > 0n && earned > this.c.policy.initial) this.ext.sendCredit(earned)
    if (this.init.pricePerMiB > 0n && this.c.coverage !== undefined) this.payee.readBacking(this.c.coverage, hello.account)
    if (hello.pricePerMiB > 0n && this.c.funds !== undefined) this.payer.readFunds(this.c.funds, hello)
    this.c.emit('peer:ready', { peerId: this.peerId, hello })
    // pay at once for what arrived before admission (with a budget, readFunds pays once the payee is known)
    if (hello.pricePerMiB === 0n || this.c.funds === undefined) this.payer.payOwed()
    return true
  }

  private onReceipt (receipt: SignedReceipt): void {
    if (this.queued !== null) {
      if (this.queued.length >= MAX_QUEUED_RECEIPTS) { this.ext.refuse('protocol', 'receipts flood before signer lookup'); return }
      this.queued.push(receipt)
      return
    }
    this.payee.onReceipt(receipt)
  }
}

/** The sessions holding a channel: its payer's (or payee's) connections. */
function sessionsOf (shared: Shared<unknown>): PaymentSession[] {
  return [...shared.users].filter((u): u is PaymentSession => u instanceof PaymentSession)
}
