/**
 * Cashes a payee's receipts on the escrow. A thin shell around the pure planner: each pass reads the candidates
 * (ledger newest receipts, the chain's laneOf), asks `plan` which pairs go in which transactions, sends them with
 * the executor (settleChannel / settleChannels, which record every attempt in the ledger) and feeds the outcome
 * back (`afterSuccess` / `afterFailure`). Passes run one at a time: the timer (`threshold`, every `intervalMs`),
 * the watchtower (`watchtower`, `release`, `signer`), `settleNow` (`risk`), retries, and `stop()` (`shutdown`).
 *
 * Retries are idempotent: a receipt is cumulative, so resending it pays only what the escrow has not paid yet, and
 * paidOut is read before each attempt so a pair a relayer already settled is skipped instead of reverting.
 *
 * ```ts
 * const scheduler = new SettlementScheduler({ logger, ledger, chain }, { payee: account, intervalMs: 60_000 })
 * scheduler.on('settle:confirmed', ({ txId, total }) => ...)
 * await scheduler.start({ signal })
 * scheduler.watch(payer)                       // at a verified hello
 * await scheduler.settleNow([payer], 'risk')   // the next block would leave receipts uncovered
 * await scheduler.stop()                       // settles everything outstanding
 * ```
 */
import type { Logger } from 'pino'
import { MAX_BATCH_SIZE } from '../chain/batch-size.ts'
import type { EscrowClient } from '../chain/index.ts'
import { SerialQueue } from '../chain/abort.ts'
import type { ChannelKey, Ledger } from '../ledger/index.ts'
import { toAddress, type Address, type SignedReceipt } from '../pay/index.ts'
import { TypedEmitter } from '../util/typed-emitter.ts'
import { SchedulerConfigError, SchedulerStateError } from './errors.ts'
import { EscrowEventFeed } from './event-feed.ts'
import type { SettleEntry, SettleReason, SettlementEvents } from './events.ts'
import { settleChannel, settleChannels } from './executor.ts'
import { FeeOracle } from './fees.ts'
import { afterFailure, afterSuccess, flatThresholds, laneCovers, plan, unsettledOf, type PlanCandidate, type Thresholds, type Urgency } from './planner.ts'
import {
  BTTC_TOKEN_PER_WEI, DEFAULT_ENERGY, EVM_WEI_PER_GAS, thresholdsFor, TRON_SUN_PER_ENERGY, TRON_TOKEN_PER_SUN, urgentSettlementCost, type SettlementEnergy
} from './policy.ts'
import { Watchtower } from './watchtower.ts'

/** Thresholds are checked once a minute: receipts arrive per piece, settlements are worth batching. */
const DEFAULT_INTERVAL_MS = 60_000
/** Per-receipt gas flattens out past ~50 entries (docs/benchmarks.md); 100 keeps a batch well under block limits. */
const DEFAULT_MAX_BATCH = 100
const DEFAULT_RETRY_MS = 5_000
const DEFAULT_SHUTDOWN_ATTEMPTS = 3

export interface SettlementSchedulerComponents {
  logger: Logger
  ledger: Ledger
  /** Sends the settlements (the payee's own account, or any relayer: money only goes to the payee). */
  chain: EscrowClient
  /** A feed shared with other readers (a payee's coverage view); one is made from `chain` when absent. */
  feed?: EscrowEventFeed
  /** @default Date.now */
  clock?: () => number
}

export interface SettlementCostOptions {
  /** Fee units per energy/gas; when given the chain's fee is never read. @default read with `chain.feePrice` */
  feePrice?: bigint
  /** Token base units per fee unit. @default TRON_TOKEN_PER_SUN (4.8·10^17) on TRON, BTTC_TOKEN_PER_WEI (1) on EVM */
  tokenPerFeeUnit?: bigint
  /** Settle once the money is worth this many times the energy. @default 10 */
  ratio?: bigint
  /** Energy per way of sending a receipt. @default DEFAULT_ENERGY (58,000 lone, 17,843 batched, 12,600 lane-covered) */
  energy?: Partial<SettlementEnergy>
}

export interface SettlementSchedulerInit {
  /** The payee whose receipts are cashed (0x-hex). */
  payee: string
  /** Settle a pair once its unsettled amount reaches this, however it is sent. @default from `cost` and the fee */
  minAmount?: bigint
  /** The energy-cost estimate behind the default thresholds. */
  cost?: SettlementCostOptions
  /** How often thresholds are checked. @default 60000 */
  intervalMs?: number
  /** Most receipts per `settleBatch`. @default 100 */
  maxBatch?: number
  /** Watch payers on the event feed and settle those that put receipts at risk. @default true */
  watchtower?: boolean
  /** Feed options when the scheduler makes its own feed. @default 3000 */
  pollMs?: number
  /** @default 0 (local chain; TRON: 19, solidified) */
  confirmations?: number
  /** @default 2 */
  rescanBlocks?: number
  /** @default the newest confirmed block at start */
  fromBlock?: number
  /** How often the fee price is read again. @default 300000 */
  feeRefreshMs?: number
  /** Delay before the first retry of a failed settlement; doubles per failure, up to `intervalMs`. @default 5000 */
  retryMs?: number
  /** Attempts at settling everything on `stop()`. @default 3 */
  shutdownAttempts?: number
}

/** What one pass settled. */
export interface SettleSummary {
  /** Transactions mined. */
  txIds: string[]
  /** What the escrow paid per payer. */
  paid: Map<Address, bigint>
  /** Payers whose settlement failed (they are retried). */
  failed: Address[]
}

interface Channel { key: ChannelKey, payer: Address, newest: SignedReceipt }

type State = 'idle' | 'running' | 'stopping' | 'stopped'

export class SettlementScheduler extends TypedEmitter<SettlementEvents> {
  readonly payee: Address
  /** The escrow's events, shared with whoever else reads them. */
  readonly feed: EscrowEventFeed
  private readonly log: Logger
  private readonly ledger: Ledger
  private readonly chain: EscrowClient
  private readonly clock: () => number
  private readonly fixedMinAmount: bigint | undefined
  private readonly cost: Required<Pick<SettlementCostOptions, 'tokenPerFeeUnit' | 'ratio'>> & { energy: SettlementEnergy }
  private readonly fees: FeeOracle
  private readonly intervalMs: number
  private readonly maxBatch: number
  private readonly retry: { baseMs: number, capMs: number }
  private readonly shutdownAttempts: number
  private readonly watchtower: Watchtower | null
  private readonly ownsFeed: boolean
  private startedFeed = false
  private readonly queue = new SerialQueue()
  /** Payers settled regardless of the threshold: at risk (watchtower, settleNow), or their last attempt failed. */
  private urgent = new Map<Address, Urgency>()
  /** Each pair's paidOut and lane as last read; a pair whose newest receipt is within paidOut needs no read. */
  private readonly pairs = new Map<Address, { paidOut: bigint, lane: bigint }>()
  private state: State = 'idle'
  private timer: NodeJS.Timeout | null = null
  private retryTimer: NodeJS.Timeout | null = null
  /** Ends background reads once stopped (settlements in flight are let finish, see stop). */
  private readonly abort = new AbortController()

  constructor (components: SettlementSchedulerComponents, init: SettlementSchedulerInit) {
    super()
    this.log = components.logger.child({ component: 'settle' })
    this.ledger = components.ledger
    this.chain = components.chain
    this.clock = components.clock ?? Date.now
    this.payee = toAddress(init.payee)
    // not `instanceof TronChain`: that import loaded tronweb into every EVM seeder's start-up
    const tron = this.chain.feeUnit === 'sun'
    this.fixedMinAmount = init.minAmount
    this.cost = {
      tokenPerFeeUnit: init.cost?.tokenPerFeeUnit ?? (tron ? TRON_TOKEN_PER_SUN : BTTC_TOKEN_PER_WEI),
      ratio: init.cost?.ratio ?? 10n,
      energy: { ...DEFAULT_ENERGY, ...init.cost?.energy }
    }
    this.fees = new FeeOracle({ logger: this.log, chain: this.chain, clock: this.clock }, {
      fallback: tron ? TRON_SUN_PER_ENERGY : EVM_WEI_PER_GAS,
      ...(init.cost?.feePrice !== undefined ? { fixed: init.cost.feePrice } : {}),
      ...(init.feeRefreshMs !== undefined ? { refreshMs: init.feeRefreshMs } : {})
    })
    this.intervalMs = init.intervalMs ?? DEFAULT_INTERVAL_MS
    this.maxBatch = init.maxBatch ?? DEFAULT_MAX_BATCH
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1 || this.maxBatch > MAX_BATCH_SIZE) {
      throw new SchedulerConfigError(`maxBatch must be 1..${MAX_BATCH_SIZE}, got ${this.maxBatch}`)
    }
    if (init.minAmount !== undefined && init.minAmount < 0n) throw new SchedulerConfigError(`minAmount must be ≥ 0, got ${init.minAmount}`)
    const retryMs = init.retryMs ?? DEFAULT_RETRY_MS
    this.retry = { baseMs: retryMs, capMs: Math.max(retryMs, this.intervalMs) }
    this.shutdownAttempts = init.shutdownAttempts ?? DEFAULT_SHUTDOWN_ATTEMPTS
    this.ownsFeed = components.feed === undefined
    this.feed = components.feed ?? new EscrowEventFeed({ logger: this.log, chain: this.chain, clock: this.clock }, {
      ...(init.pollMs !== undefined ? { pollMs: init.pollMs } : {}),
      ...(init.confirmations !== undefined ? { confirmations: init.confirmations } : {}),
      ...(init.rescanBlocks !== undefined ? { rescanBlocks: init.rescanBlocks } : {}),
      ...(init.fromBlock !== undefined ? { fromBlock: init.fromBlock } : {})
    })
    if (init.watchtower === false) {
      this.watchtower = null
    } else {
      const ours = (payer: Address): ChannelKey => ({ chainId: this.chain.chainId, escrow: toAddress(this.chain.escrow), payer, payee: this.payee })
      this.watchtower = new Watchtower({ logger: this.log, feed: this.feed, chain: this.chain, newest: payer => this.ledger.newest(ours(payer)) }, {
        payee: this.payee,
        domain: { chainId: this.chain.chainId, escrow: this.chain.escrow },
        cost: () => this.urgentCost
      })
      this.watchtower.on('watchtower:withdrawal', e => { this.emit('watchtower:withdrawal', e) })
      this.watchtower.on('watchtower:release', e => { this.emit('watchtower:release', e) })
      this.watchtower.on('watchtower:signer', e => { this.emit('watchtower:signer', e) })
      this.watchtower.on('watchtower:urgent', ({ payer, reason }) => {
        this.markUrgent(payer, reason)
        this.kick(reason)
      })
    }
  }

  /** The least unsettled amount worth settling, per way of sending it, at the fee price last read. */
  get thresholds (): Thresholds {
    if (this.fixedMinAmount !== undefined) return flatThresholds(this.fixedMinAmount)
    return thresholdsFor({ feePrice: this.fees.price, tokenPerFeeUnit: this.cost.tokenPerFeeUnit, ratio: this.cost.ratio, energy: this.cost.energy })
  }

  /** The threshold of a receipt in a batch (what operators see); `thresholds` has the lone and lane-covered ones. */
  get minAmount (): bigint { return this.thresholds.batched }

  /** What one urgent (lone) settlement costs now: the least an event must put at risk to trigger one. */
  get urgentCost (): bigint { return urgentSettlementCost(this.fees.price, this.cost.tokenPerFeeUnit, this.cost.energy.lone) }

  /** The fee price in use (sun per energy, wei per gas). */
  get feePrice (): bigint { return this.fees.price }

  /**
   * Reads the fee, starts the threshold timer, the watchtower and (unless someone else runs it) the feed. Payers
   * with a withdrawal, lane release or signer change already pending (made while we were down) are weighed at
   * once. Aborting `signal` stops the scheduler (settling what is outstanding).
   */
  async start (options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.state !== 'idle') throw new SchedulerStateError(this.state, 'start')
    this.state = 'running'
    options.signal?.addEventListener('abort', () => {
      this.stop().catch(err => { this.log.error({ err }, 'stopping the settlement scheduler failed') })
    }, { once: true })
    const signal = this.abort.signal
    await this.fees.refresh({ signal, force: true })
    try {
      if (this.watchtower !== null) {
        this.watchtower.start()
        if (!this.feed.running) {
          await this.feed.start({ signal })
          this.startedFeed = true
        }
        const owing = (await this.candidates(this.ourChannels(), { signal })).filter(c => unsettledOf(c) > 0n)
        await this.watchtower.scan(owing.map(c => c.payer), { signal })
      }
    } catch (err) {
      // the chain did not answer: leave the scheduler as it was, so start can be called again
      await this.watchtower?.stop()
      if (this.startedFeed) await this.feed.stop()
      this.startedFeed = false
      this.state = 'idle'
      throw err
    }
    this.scheduleTick()
  }

  /**
   * Stops the timers and the watchtower (and the feed if it started it), then settles every pair with anything
   * unsettled (threshold or not), retrying failures up to `shutdownAttempts` times.
   */
  async stop (options: { signal?: AbortSignal } = {}): Promise<SettleSummary> {
    const summary: SettleSummary = { txIds: [], paid: new Map(), failed: [] }
    if (this.state === 'stopping' || this.state === 'stopped') return summary
    const wasRunning = this.state === 'running'
    this.state = 'stopping'
    if (this.timer !== null) clearTimeout(this.timer)
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.timer = this.retryTimer = null
    await this.watchtower?.stop()
    if (this.startedFeed) await this.feed.stop()
    // a settlement in flight is let finish: aborting the wait would record as failed what may still be mined
    await this.queue.run(async () => undefined)
    for (let attempt = 1; wasRunning; attempt++) {
      const pass = await this.pass('shutdown', null, options)
      merge(summary, { ...pass, failed: [] })
      if (pass.failed.length === 0 || attempt >= this.shutdownAttempts) { summary.failed = pass.failed; break }
      await new Promise(resolve => setTimeout(resolve, this.retry.baseMs))
    }
    this.state = 'stopped'
    this.abort.abort()
    return summary
  }

  /** Settles, now, every pair worth its energy and every urgent one. */
  async settleDue (options: { signal?: AbortSignal } = {}): Promise<SettleSummary> {
    return await this.pass('threshold', null, options)
  }

  /** Settles, now, everything outstanding (or only `payers`), whatever the threshold. */
  async settleAll (payers?: readonly string[], options: { signal?: AbortSignal } = {}): Promise<SettleSummary> {
    return await this.pass('manual', payers === undefined ? null : new Set(payers.map(p => toAddress(p))), options)
  }

  /**
   * Settles `payers` at once, whatever the threshold, after any pass in flight: for a payee whose next block would
   * leave unsettled receipts uncovered. A failure keeps them urgent (`risk`) and retried with backoff.
   */
  async settleNow (payers: readonly string[], reason: 'risk', options: { signal?: AbortSignal } = {}): Promise<SettleSummary> {
    const only = new Set(payers.map(p => toAddress(p)))
    return await this.pass(reason, only, options)
  }

  /**
   * Watches `payer` from now on, channel or not (the payment layer calls it at a verified hello): its withdrawal
   * requests, lane releases for us and signer changes are weighed like those of payers we hold receipts from.
   */
  watch (payer: string): void {
    this.watchtower?.watch(payer, { signal: this.abort.signal })
      .catch(err => { if (!this.abort.signal.aborted) this.log.warn({ err, payer }, 'reading a watched payer\'s pending moves failed') })
  }

  /** The feed's next block, for tests and status output. */
  get watchedFrom (): number | undefined { return this.feed.cursor }

  /** Polls the feed once now and waits until the watchtower weighed what it found (tests; the demo). */
  async pollWatchtower (options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.feed.poll(options)
    await this.watchtower?.idle()
  }

  // ---------------------------------------------------------------- the shell

  private scheduleTick (): void {
    if (this.state !== 'running') return
    this.timer = setTimeout(() => {
      this.settleDue({ signal: this.abort.signal })
        .catch(err => { this.log.error({ err }, 'settlement pass failed') })
        .finally(() => { this.scheduleTick() })
    }, this.intervalMs)
    this.timer.unref()
  }

  private markUrgent (payer: Address, reason: Urgency['reason']): void {
    const u = this.urgent.get(payer)
    this.urgent.set(payer, { reason, failures: u?.failures ?? 0, retryAt: 0 })
  }

  /** Settles the urgent payers in the background. */
  private kick (reason: SettleReason): void {
    if (this.state !== 'running') return
    this.pass(reason, null, { signal: this.abort.signal })
      .catch(err => { this.log.error({ err }, 'urgent settlement failed') })
  }

  private scheduleRetry (delay: number): void {
    if (this.state !== 'running' || this.retryTimer !== null) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.kick('retry')
    }, delay)
    this.retryTimer.unref()
  }

  /** One serialized pass: read, plan, send each batch, record. */
  private async pass (reason: SettleReason, only: ReadonlySet<Address> | null, options: { signal?: AbortSignal }): Promise<SettleSummary> {
    return await this.queue.run(async () => {
      const summary: SettleSummary = { txIds: [], paid: new Map(), failed: [] }
      await this.fees.refresh(options)
      const channels = new Map(this.ourChannels().filter(c => only === null || only.has(c.payer)).map(c => [c.payer, c]))
      const candidates = await this.candidates([...channels.values()], options)
      await this.weighAlerts(candidates, options)
      const input = {
        pass: reason, candidates, urgent: this.urgent, minAmount: this.thresholds, maxBatch: this.maxBatch, now: this.clock(),
        ...(only !== null ? { only } : {})
      }
      // the free balance is read only for the pairs the plan takes whose lane does not cover them
      const first = plan(input)
      for (const c of first.batches.flatMap(b => b.entries)) {
        if (!laneCovers(c)) c.free = await this.chain.balanceOf(c.payer, options)
      }
      const planned = plan(input)
      this.urgent = afterSuccess(this.urgent, planned.settled)
      for (const c of planned.unfunded) {
        this.log.warn({ payer: c.payer, unsettled: unsettledOf(c) }, 'payer has nothing in escrow; not settling')
      }
      for (const batch of planned.batches) {
        merge(summary, await this.send(batch.entries.map(c => ({ c, key: channels.get(c.payer)!.key })), batch.reason, options))
      }
      return summary
    })
  }

  /** A payer with a pending move that had little at risk when it asked may have more now: weigh it again. */
  private async weighAlerts (candidates: PlanCandidate[], options: { signal?: AbortSignal }): Promise<void> {
    if (this.watchtower === null) return
    for (const c of candidates) {
      if (this.watchtower.alertsOf(c.payer) === undefined || unsettledOf(c) === 0n || this.urgent.has(c.payer)) continue
      c.free ??= await this.chain.balanceOf(c.payer, options)
      const verdict = this.watchtower.verdict(c.payer, { unsettled: unsettledOf(c), lane: c.lane ?? 0n, free: c.free }, this.ledger.newest(this.keyOf(c.payer)))
      if (verdict?.assessment.urgent === true) {
        this.log.info({ payer: c.payer, reason: verdict.reason, atRisk: verdict.assessment.atRisk }, 'pending move now puts receipts at risk; settling')
        this.markUrgent(c.payer, verdict.reason)
      }
    }
  }

  private async send (batch: Array<{ c: PlanCandidate, key: ChannelKey }>, reason: SettleReason, options: { signal?: AbortSignal }): Promise<SettleSummary> {
    const entries: SettleEntry[] = batch.map(({ c }) => ({ payer: c.payer, bytes: c.bytes, amount: c.amount, paidBefore: c.paidOut }))
    const isBatch = batch.length > 1
    this.emit('settle:sent', { reason, payee: this.payee, batch: isBatch, entries })
    const components = { ledger: this.ledger, chain: this.chain }
    try {
      let out: { txId: string, paid: Map<Address, bigint>, gasUsed: bigint, fee: bigint } | null
      if (isBatch) {
        out = await settleChannels(components, this.payee, batch.map(b => b.key), options)
      } else {
        const { c, key } = batch[0]!
        const one = await settleChannel(components, key, options)
        out = one === null ? null : { ...one, paid: new Map([[c.payer, one.paid]]) }
      }
      if (out === null) return { txIds: [], paid: new Map(), failed: [] }
      const { txId, paid, gasUsed, fee } = out
      let total = 0n
      for (const { c } of batch) {
        const p = paid.get(c.payer) ?? 0n
        total += p
        // settlement takes from the lane first (docs/contract.md, lanes)
        const lane = c.lane ?? 0n
        this.pairs.set(c.payer, { paidOut: c.paidOut + p, lane: lane > p ? lane - p : 0n })
      }
      this.urgent = afterSuccess(this.urgent, batch.map(b => b.c.payer))
      this.log.info({ reason, txId, payers: batch.length, total, gasUsed, fee }, 'settled')
      this.emit('settle:confirmed', { reason, payee: this.payee, batch: isBatch, txId, entries, paid, total, gasUsed, fee })
      return { txIds: [txId], paid, failed: [] }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err))
      const payers = batch.map(b => b.c.payer)
      for (const payer of payers) this.pairs.delete(payer)
      const failed = afterFailure(this.urgent, payers, this.clock(), this.retry)
      this.urgent = failed.urgent
      const retryInMs = this.state === 'running' && error.name !== 'AbortError' ? failed.retryInMs : null
      this.log.warn({ err: error, reason, payers: batch.length, retryInMs }, 'settlement failed')
      this.emit('settle:failed', { reason, payee: this.payee, batch: isBatch, entries, error, retryInMs })
      if (retryInMs !== null) this.scheduleRetry(retryInMs)
      return { txIds: [], paid: new Map(), failed: payers }
    }
  }

  private keyOf (payer: Address): ChannelKey {
    return { chainId: this.chain.chainId, escrow: toAddress(this.chain.escrow), payer, payee: this.payee }
  }

  /** Our channels as payee on this escrow that hold a receipt. */
  private ourChannels (): Channel[] {
    const escrow = this.chain.escrow.toLowerCase()
    return this.ledger.channels().flatMap(ch => {
      const { key, newest } = ch
      if (ch.role !== 'payee' || newest === null || key.payee !== this.payee || key.escrow !== escrow || key.chainId !== this.chain.chainId) return []
      return [{ key, payer: key.payer, newest }]
    })
  }

  /** Each channel with its paidOut and lane; read from the chain (laneOf, one call) unless known fully paid. */
  private async candidates (channels: readonly Channel[], options: { signal?: AbortSignal }): Promise<PlanCandidate[]> {
    const out: PlanCandidate[] = []
    for (const ch of channels) {
      let pair = this.pairs.get(ch.payer)
      if (pair === undefined || pair.paidOut < ch.newest.amount) {
        pair = await this.chain.laneOf(ch.payer, this.payee, options)
        this.pairs.set(ch.payer, { paidOut: pair.paidOut, lane: pair.lane })
      }
      out.push({ payer: ch.payer, bytes: ch.newest.bytes, amount: ch.newest.amount, paidOut: pair.paidOut, lane: pair.lane })
    }
    return out
  }
}

function merge (into: SettleSummary, from: SettleSummary): SettleSummary {
  into.txIds.push(...from.txIds)
  for (const [k, v] of from.paid) into.paid.set(k, (into.paid.get(k) ?? 0n) + v)
  into.failed.push(...from.failed)
  return into
}
