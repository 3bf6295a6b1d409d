/**
 * Watches, on the shared EscrowEventFeed, every payer the agent has served or is serving — the ones `watch`ed at
 * their hello, before any channel exists, and every payer with a payee channel in the ledger — for moves that
 * threaten our receipts: a withdrawal request (its free balance leaves at `unlockAt`), a release of its lane for
 * us, a replaced signer (receipts by the old key die at `previousValidUntil`). It keeps each payer's pending moves
 * (`alertsOf`), and on every such event reads the pair once (laneOf, balanceOf), weighs it (risk.ts) and reports.
 * It asks the scheduler to settle at once only when the event put at least one settlement's cost at risk.
 */
import type { Logger } from 'pino'
import type { CallOptions, EscrowClient, EscrowEvent } from '../chain/index.ts'
import { SerialQueue } from '../chain/abort.ts'
import { addressToBytes, ReceiptVerifier, toAddress, type Address, type EscrowDomain, type SignedReceipt } from '../pay/index.ts'
import { TypedEmitter } from '../util/typed-emitter.ts'
import type { EscrowEventFeed, EscrowEventFeedEvents } from './event-feed.ts'
import type { RiskAssessment, SettlementEvents } from './events.ts'
import { assessRisk, hasAlerts, type PairState, type PayerAlerts } from './risk.ts'

const ZERO: Address = '0x0000000000000000000000000000000000000000'
/** The events that start or end a payer's pending move; the rest (settlements, deposits) need no ledger lookup. */
const WATCHED_EVENTS: ReadonlySet<EscrowEvent['name']> = new Set([
  'WithdrawalRequested', 'WithdrawalCancelled', 'Withdrawn', 'LaneReleaseRequested', 'LaneReleaseCancelled', 'LaneReleased', 'SignerChanged'
])

/** The reasons the watchtower makes a pair urgent. */
export type WatchReason = 'watchtower' | 'release' | 'signer'

export type WatchtowerEvents = Pick<SettlementEvents, 'watchtower:withdrawal' | 'watchtower:release' | 'watchtower:signer'> & {
  /** Settle `payer` now, whatever the threshold. */
  'watchtower:urgent': { payer: Address, reason: WatchReason, assessment: RiskAssessment }
}

export type WatchtowerChain = Pick<EscrowClient, 'balanceOf' | 'laneOf' | 'pendingWithdrawal' | 'pendingRelease' | 'signerOf'>

export interface WatchtowerComponents {
  logger: Logger
  feed: Pick<EscrowEventFeed, 'on' | 'off'>
  chain: WatchtowerChain
  /** Our newest receipt from `payer`, or null (the ledger). */
  newest: (payer: Address) => SignedReceipt | null
}

export interface WatchtowerInit {
  payee: Address
  /** The receipts' domain, to recover who signed our newest receipt. */
  domain: EscrowDomain
  /** What one urgent settlement costs now, in token base units (a lone `settle` at the current fee). */
  cost: () => bigint
}

export class Watchtower extends TypedEmitter<WatchtowerEvents> {
  private readonly log: Logger
  private readonly feed: WatchtowerComponents['feed']
  private readonly chain: WatchtowerChain
  private readonly newest: WatchtowerComponents['newest']
  private readonly payee: Address
  private readonly cost: () => bigint
  private readonly verifier: ReceiptVerifier
  private readonly watched = new Set<Address>()
  private readonly alerts = new Map<Address, PayerAlerts>()
  /** Event assessments run in chain order, one at a time (a payer's request and cancel must not swap). */
  private readonly queue = new SerialQueue()
  private abort: AbortController | null = null
  private readonly onEvents = (e: EscrowEventFeedEvents['events']): void => {
    for (const event of e.events) this.handle(event)
  }

  constructor (components: WatchtowerComponents, init: WatchtowerInit) {
    super()
    this.log = components.logger.child({ component: 'watchtower' })
    this.feed = components.feed
    this.chain = components.chain
    this.newest = components.newest
    this.payee = toAddress(init.payee)
    this.cost = init.cost
    this.verifier = new ReceiptVerifier({}, { domain: init.domain })
  }

  /** Listens to the feed. Subscribe before the feed's first poll so its events are not missed. */
  start (): void {
    if (this.abort !== null) return
    this.abort = new AbortController()
    this.feed.on('events', this.onEvents)
  }

  async stop (): Promise<void> {
    this.feed.off('events', this.onEvents)
    this.abort?.abort()
    this.abort = null
    await this.queue.run(async () => undefined)
  }

  /** Resolves once every event handed over so far has been weighed. */
  async idle (): Promise<void> {
    await this.queue.run(async () => undefined)
  }

  /** Watches `payer` from now on; a new one's pending moves are read from the chain once. */
  watch (payer: string, options: CallOptions = {}): Promise<void> {
    const p = toAddress(payer)
    if (this.watched.has(p)) return Promise.resolve()
    this.watched.add(p)
    return this.seed(p, options)
  }

  isWatched (payer: Address): boolean {
    return this.watched.has(payer) || this.newest(payer) !== null
  }

  /** The payer's pending moves (withdrawal, lane release for us, replaced signer), if any. */
  alertsOf (payer: Address): PayerAlerts | undefined {
    const a = this.alerts.get(payer)
    return hasAlerts(a) ? a : undefined
  }

  /**
   * Reads every given payer's pending moves from the chain (at start: requests made while we were down) and
   * reports the urgent ones. Resolves when all were read.
   */
  async scan (payers: Iterable<Address>, options: CallOptions = {}): Promise<void> {
    for (const payer of payers) {
      this.watched.add(payer)
      await this.seed(payer, options)
      const alerts = this.alertsOf(payer)
      if (alerts === undefined) continue
      const { assessment, signedBy } = await this.assessPair(payer, alerts, options)
      if (assessment.urgent) this.emit('watchtower:urgent', { payer, reason: reasonOf(alerts, signedBy), assessment })
    }
  }

  /**
   * Weighs a pair whose lane, paidOut and free balance the caller already read (the scheduler's passes, so a
   * payer that had nothing unsettled when it asked to withdraw is settled once it has). Null: nothing pending.
   */
  verdict (payer: Address, pair: Omit<PairState, 'signedBy'>, receipt: SignedReceipt | null): { reason: WatchReason, assessment: RiskAssessment } | null {
    const alerts = this.alertsOf(payer)
    if (alerts === undefined) return null
    const signedBy = this.signerOf(payer, receipt)
    return { reason: reasonOf(alerts, signedBy), assessment: assessRisk(alerts, { ...pair, signedBy }, this.cost()) }
  }

  // ---------------------------------------------------------------- internals

  private handle (e: EscrowEvent): void {
    if (!WATCHED_EVENTS.has(e.name) || !('payer' in e)) return
    const payer = toAddress(e.payer)
    if (!this.isWatched(payer)) return
    const forUs = 'payee' in e && toAddress(e.payee) === this.payee
    const alerts = this.alerts.get(payer) ?? {}
    switch (e.name) {
      case 'WithdrawalRequested':
        alerts.withdrawal = { amount: e.amount, unlockAt: e.unlockAt }
        break
      case 'WithdrawalCancelled':
      case 'Withdrawn':
        delete alerts.withdrawal
        break
      case 'LaneReleaseRequested':
        if (!forUs) return
        alerts.release = { amount: e.amount, unlockAt: e.unlockAt }
        break
      case 'LaneReleaseCancelled':
      case 'LaneReleased':
        if (forUs) delete alerts.release
        break
      case 'SignerChanged':
        // a first signer replaces no one: the payer's own key keeps counting
        if (toAddress(e.previous) === ZERO) delete alerts.signer
        else alerts.signer = { previous: toAddress(e.previous), validUntil: e.previousValidUntil }
        break
      default:
        return
    }
    this.alerts.set(payer, alerts)
    if (e.name === 'WithdrawalRequested' || e.name === 'LaneReleaseRequested' || (e.name === 'SignerChanged' && alerts.signer !== undefined)) {
      const signal = this.abort?.signal
      this.queue.run(async () => { await this.onAlert(payer, e, signal) })
        .catch(err => { this.log.error({ err, payer, event: e.name }, 'assessing an escrow event failed') })
    }
  }

  private async onAlert (payer: Address, e: EscrowEvent, signal: AbortSignal | undefined): Promise<void> {
    const stopped = (): boolean => signal?.aborted ?? false
    if (stopped()) return
    const alerts = this.alertsOf(payer)
    if (alerts === undefined) return // cancelled by a later event of the same poll
    let assessment: RiskAssessment
    let signedBy: Address | null
    try {
      ({ assessment, signedBy } = await this.assessPair(payer, alerts, { ...(signal !== undefined ? { signal } : {}) }))
    } catch (err) {
      if (stopped()) return
      // the chain did not answer: assume the worst, settling costs at most one fee and the retry backs off
      const unsettled = this.newest(payer)?.amount ?? 0n
      this.log.warn({ err, payer }, 'reading the pair after an escrow event failed; settling to be safe')
      assessment = { unsettled, atRisk: unsettled, urgent: unsettled > 0n }
      signedBy = this.signerOf(payer, this.newest(payer))
    }
    const at = { payer, txId: e.txId, blockNumber: e.blockNumber, ...assessment }
    this.log.info({ payer, event: e.name, unsettled: assessment.unsettled, atRisk: assessment.atRisk, urgent: assessment.urgent }, assessment.urgent ? 'payer put receipts at risk; settling now' : 'payer event; little at risk, not settling yet')
    if (e.name === 'WithdrawalRequested') this.emit('watchtower:withdrawal', { ...at, amount: e.amount, unlockAt: e.unlockAt })
    else if (e.name === 'LaneReleaseRequested') this.emit('watchtower:release', { ...at, amount: e.amount, unlockAt: e.unlockAt })
    else if (e.name === 'SignerChanged') this.emit('watchtower:signer', { ...at, previous: toAddress(e.previous), previousValidUntil: e.previousValidUntil })
    if (assessment.urgent) this.emit('watchtower:urgent', { payer, reason: reasonOf(alerts, signedBy), assessment })
  }

  /** Reads the pair once (laneOf, balanceOf) and weighs it against the payer's pending moves. */
  private async assessPair (payer: Address, alerts: PayerAlerts, options: CallOptions): Promise<{ assessment: RiskAssessment, signedBy: Address | null }> {
    const [lane, free] = await Promise.all([this.chain.laneOf(payer, this.payee, options), this.chain.balanceOf(payer, options)])
    const receipt = this.newest(payer)
    const unsettled = receipt !== null && receipt.amount > lane.paidOut ? receipt.amount - lane.paidOut : 0n
    const signedBy = this.signerOf(payer, receipt)
    return { assessment: assessRisk(alerts, { unsettled, lane: lane.lane, free, signedBy }, this.cost()), signedBy }
  }

  /** Reads a payer's pending withdrawal, lane release for us and replaced signer into its alerts. */
  private async seed (payer: Address, options: CallOptions): Promise<void> {
    const [withdrawal, release, signer] = await Promise.all([
      this.chain.pendingWithdrawal(payer, options), this.chain.pendingRelease(payer, this.payee, options), this.chain.signerOf(payer, options)
    ])
    const alerts: PayerAlerts = {}
    if (withdrawal.unlockAt > 0n) alerts.withdrawal = withdrawal
    if (release.unlockAt > 0n) alerts.release = release
    if (toAddress(signer.previous) !== ZERO) alerts.signer = { previous: toAddress(signer.previous), validUntil: signer.previousValidUntil }
    // events that arrived while reading are newer than the views: they win (a cancel seen meanwhile may leave a
    // stale alert; the worst it causes is one settlement that still recovers at least its fee)
    this.alerts.set(payer, { ...alerts, ...this.alerts.get(payer) })
  }

  /** Who signed our newest receipt from `payer` (null: none, or not recoverable). */
  private signerOf (payer: Address, receipt: SignedReceipt | null): Address | null {
    if (receipt === null) return null
    try {
      return this.verifier.recover(addressToBytes(payer), addressToBytes(this.payee), receipt.bytes, receipt.amount, receipt.sig)
    } catch {
      return null
    }
  }
}

/** The reason to give a settlement: a dying signature first, then a lane leaving, then free balance leaving. */
function reasonOf (alerts: PayerAlerts, signedBy: Address | null): WatchReason {
  if (alerts.signer !== undefined && signedBy === alerts.signer.previous) return 'signer'
  if (alerts.release !== undefined) return 'release'
  return 'watchtower'
}
