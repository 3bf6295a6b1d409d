/**
 * Cashes a payee's receipts on the escrow: when a pair's unsettled amount is worth the energy (threshold, checked
 * every `intervalMs`), at once when the payer announces a withdrawal (watchtower), and for everything left on
 * shutdown. Several payers go into one `settleBatch`; one alone uses `settle`.
 *
 * Retries are idempotent: a receipt is cumulative, so resending it pays only what the escrow has not paid yet.
 * Before each attempt the pair's `paidOut` is read from the chain, so a pair a relayer already settled is
 * skipped instead of reverting. Every attempt is recorded in the ledger (`settleChannel`/`settleChannels`).
 *
 * ```ts
 * const scheduler = new SettlementScheduler({ logger, ledger, chain }, { payee: account, intervalMs: 60_000 })
 * scheduler.on('settle:confirmed', ({ txId, total }) => ...)
 * await scheduler.start({ signal })
 * ...
 * await scheduler.stop()   // settles everything outstanding
 * ```
 */
import type { Logger } from 'pino'
import type { EscrowClient } from '../chain/index.ts'
import { SerialQueue } from '../chain/abort.ts'
import type { ChannelKey, Ledger } from '../ledger/index.ts'
import { toAddress, type Address } from '../pay/index.ts'
import { settleChannel, settleChannels } from './executor.ts'
import { TypedEmitter } from '../wire/index.ts'
import { SchedulerConfigError, SchedulerStateError } from './errors.ts'
import type { SettleEntry, SettleReason, SettlementEvents } from './events.ts'
import { defaultMinAmount, type SettlementCostInit } from './policy.ts'
import { Watchtower, type WithdrawalRequest } from './watchtower.ts'

/** Thresholds are checked once a minute: receipts arrive per piece, settlements are worth batching. */
const DEFAULT_INTERVAL_MS = 60_000
/** Per-receipt gas flattens out past ~50 entries (docs/benchmarks.md); 100 keeps a batch well under block limits. */
const DEFAULT_MAX_BATCH = 100
/** The escrow's MAX_BATCH_SIZE. */
const MAX_BATCH = 256
const DEFAULT_RETRY_MS = 5_000
const DEFAULT_SHUTDOWN_ATTEMPTS = 3

export interface SettlementSchedulerComponents {
  logger: Logger
  ledger: Ledger
  /** Sends the settlements (the payee's own account, or any relayer: money only goes to the payee). */
  chain: EscrowClient
}

export interface SettlementSchedulerInit {
  /** The payee whose receipts are cashed (0x-hex). */
  payee: string
  /** Settle a pair once its unsettled amount reaches this. @default defaultMinAmount(cost) */
  minAmount?: bigint
  /** The energy-cost estimate behind the default `minAmount` (energy, sun per energy, token per sun, ratio). */
  cost?: SettlementCostInit & { ratio?: bigint }
  /** How often thresholds are checked. @default 60000 */
  intervalMs?: number
  /** Most receipts per `settleBatch`. @default 100 */
  maxBatch?: number
  /** Watch for `WithdrawalRequested` and settle those payers at once. @default true */
  watchtower?: boolean
  /** How often the watchtower polls the chain. @default 3000 */
  pollMs?: number
  /** First block the watchtower reads. @default the newest block at start */
  fromBlock?: number
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

interface Candidate { key: ChannelKey, payer: Address, bytes: bigint, amount: bigint, paidBefore: bigint }

type State = 'idle' | 'running' | 'stopping' | 'stopped'

export class SettlementScheduler extends TypedEmitter<SettlementEvents> {
  readonly payee: Address
  readonly minAmount: bigint
  private readonly log: Logger
  private readonly ledger: Ledger
  private readonly chain: EscrowClient
  private readonly intervalMs: number
  private readonly maxBatch: number
  private readonly retryMs: number
  private readonly shutdownAttempts: number
  private readonly watchtower: Watchtower | null
  private readonly queue = new SerialQueue()
  /** Payers settled regardless of the threshold: a withdrawal is pending, or their last attempt failed. */
  private readonly urgent = new Map<Address, { reason: SettleReason, failures: number }>()
  /** What the escrow has paid each pair, as last read; a pair whose newest receipt is within it needs no read. */
  private readonly paidOut = new Map<Address, bigint>()
  /** Payers served or being served, channel or not. */
  private readonly watched = new Set<Address>()
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
    this.payee = toAddress(init.payee)
    this.minAmount = init.minAmount ?? defaultMinAmount(init.cost)
    this.intervalMs = init.intervalMs ?? DEFAULT_INTERVAL_MS
    this.maxBatch = init.maxBatch ?? DEFAULT_MAX_BATCH
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1 || this.maxBatch > MAX_BATCH) {
      throw new SchedulerConfigError(`maxBatch must be 1..${MAX_BATCH}, got ${this.maxBatch}`)
    }
    if (this.minAmount < 0n) throw new SchedulerConfigError(`minAmount must be ≥ 0, got ${this.minAmount}`)
    this.retryMs = init.retryMs ?? DEFAULT_RETRY_MS
    this.shutdownAttempts = init.shutdownAttempts ?? DEFAULT_SHUTDOWN_ATTEMPTS
    this.watchtower = init.watchtower === false
      ? null
      : new Watchtower({ logger: this.log, chain: this.chain }, {
        ...(init.pollMs !== undefined ? { pollMs: init.pollMs } : {}),
        ...(init.fromBlock !== undefined ? { fromBlock: init.fromBlock } : {})
      }, e => { this.onWithdrawal(e) })
  }

  /**
   * Starts the threshold timer and the watchtower. Payers with a withdrawal already pending (announced while
   * we were down) are settled at once. Aborting `signal` stops the scheduler (settling what is outstanding).
   */
  async start (options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.state !== 'idle') throw new SchedulerStateError(this.state, 'start')
    this.state = 'running'
    options.signal?.addEventListener('abort', () => {
      this.stop().catch(err => { this.log.error({ err }, 'stopping the settlement scheduler failed') })
    }, { once: true })
    const signal = this.abort.signal
    try {
      await this.watchtower?.start({ signal })
      for (const c of await this.candidates(() => true, signal)) {
        const w = await this.chain.pendingWithdrawal(c.payer, { signal })
        if (w.unlockAt > 0n) this.urgent.set(c.payer, { reason: 'watchtower', failures: 0 })
      }
    } catch (err) {
      // the chain did not answer: leave the scheduler as it was, so start can be called again
      await this.watchtower?.stop()
      this.state = 'idle'
      throw err
    }
    if (this.urgent.size > 0) this.kick('watchtower')
    this.scheduleTick()
  }

  /**
   * Stops the timers and the watchtower, then settles every pair with anything unsettled (threshold or not),
   * retrying failures up to `shutdownAttempts` times.
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
    // a settlement in flight is let finish: aborting the wait would record as failed what may still be mined
    await this.queue.run(async () => undefined)
    for (let attempt = 1; wasRunning; attempt++) {
      const pass = await this.settle(() => true, 'shutdown', options)
      merge(summary, { ...pass, failed: [] })
      if (pass.failed.length === 0 || attempt >= this.shutdownAttempts) { summary.failed = pass.failed; break }
      await new Promise(resolve => setTimeout(resolve, this.retryMs))
    }
    this.state = 'stopped'
    this.abort.abort()
    return summary
  }

  /** Settles, now, every pair at or over the threshold and every urgent one. */
  async settleDue (options: { signal?: AbortSignal } = {}): Promise<SettleSummary> {
    return await this.settle(c => c.amount - c.paidBefore >= this.minAmount || this.urgent.has(c.payer), 'threshold', options)
  }

  /** Settles, now, everything outstanding (or only `payers`), whatever the threshold. */
  async settleAll (payers?: readonly string[], options: { signal?: AbortSignal } = {}): Promise<SettleSummary> {
    const only = payers === undefined ? null : new Set(payers.map(p => toAddress(p)))
    return await this.settle(c => only === null || only.has(c.payer), 'manual', options)
  }

  /** Watches `payer` from now on, whether or not it has a channel yet (called at a verified hello). */
  watch (payer: string): void {
    this.watched.add(toAddress(payer))
  }

  /** The watchtower's next block, for tests and status output. */
  get watchedFrom (): number | undefined { return this.watchtower?.cursor }

  /** Polls the watchtower once now (tests; the demo, to show its reaction without waiting for a poll). */
  async pollWatchtower (options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.watchtower?.poll(options)
  }

  private scheduleTick (): void {
    if (this.state !== 'running') return
    this.timer = setTimeout(() => {
      this.settleDue({ signal: this.abort.signal })
        .catch(err => { this.log.error({ err }, 'settlement pass failed') })
        .finally(() => { this.scheduleTick() })
    }, this.intervalMs)
    this.timer.unref()
  }

  private onWithdrawal (e: WithdrawalRequest): void {
    const payer = toAddress(e.payer)
    const channel = this.ourChannels().find(c => c.payer === payer)
    if (channel === undefined || this.state !== 'running') return
    this.urgent.set(payer, { reason: 'watchtower', failures: 0 })
    const signal = this.abort.signal
    this.chain.paidOut(payer, this.payee, { signal })
      .then(paid => {
        const unsettled = channel.amount > paid ? channel.amount - paid : 0n
        this.log.info({ payer, amount: e.amount, unlockAt: e.unlockAt, unsettled }, 'payer requested a withdrawal; settling now')
        this.emit('watchtower:withdrawal', { payer, amount: e.amount, unlockAt: e.unlockAt, txId: e.txId, blockNumber: e.blockNumber, unsettled, atRisk: unsettled, urgent: true })
      })
      .catch(err => { this.log.warn({ err, payer }, 'reading paidOut after a withdrawal request failed') })
      .finally(() => { this.kick('watchtower') })
  }

  /** Settles the urgent payers in the background. */
  private kick (reason: SettleReason): void {
    if (this.state !== 'running') return
    const urgent = new Set(this.urgent.keys())
    this.settle(c => urgent.has(c.payer), reason, { signal: this.abort.signal })
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

  /**
   * One serialized pass: choose candidates, then send them in batches of `maxBatch`, one group per reason (an
   * urgent payer keeps its reason, `watchtower` or `retry`, whichever pass picks it up).
   */
  private async settle (select: (c: Candidate) => boolean, reason: SettleReason, options: { signal?: AbortSignal }): Promise<SettleSummary> {
    return await this.queue.run(async () => {
      const summary: SettleSummary = { txIds: [], paid: new Map(), failed: [] }
      const chosen = await this.candidates(select, options.signal)
      const groups = new Map<SettleReason, Candidate[]>()
      for (const c of chosen) {
        // an empty balance pays nothing (the receipt would only bounce): keep it for when the payer deposits
        if (await this.chain.balanceOf(c.payer, options) === 0n) {
          this.log.warn({ payer: c.payer, unsettled: c.amount - c.paidBefore }, 'payer has no balance in escrow; not settling')
          continue
        }
        const why = reason === 'shutdown' || reason === 'manual' ? reason : this.urgent.get(c.payer)?.reason ?? reason
        const group = groups.get(why) ?? []
        group.push(c)
        groups.set(why, group)
      }
      for (const [why, group] of groups) {
        for (let i = 0; i < group.length; i += this.maxBatch) {
          merge(summary, await this.send(group.slice(i, i + this.maxBatch), why, options))
        }
      }
      return summary
    })
  }

  private async send (batch: Candidate[], reason: SettleReason, options: { signal?: AbortSignal }): Promise<SettleSummary> {
    const entries: SettleEntry[] = batch.map(c => ({ payer: c.payer, bytes: c.bytes, amount: c.amount, paidBefore: c.paidBefore }))
    const isBatch = batch.length > 1
    this.emit('settle:sent', { reason, payee: this.payee, batch: isBatch, entries })
    const components = { ledger: this.ledger, chain: this.chain }
    try {
      let txId: string
      let paid: Map<Address, bigint>
      if (isBatch) {
        const out = await settleChannels(components, this.payee, batch.map(c => c.key), options)
        if (out === null) return { txIds: [], paid: new Map(), failed: [] }
        ;({ txId, paid } = out)
      } else {
        const c = batch[0]!
        const out = await settleChannel(components, c.key, options)
        if (out === null) return { txIds: [], paid: new Map(), failed: [] }
        txId = out.txId
        paid = new Map([[c.payer, out.paid]])
      }
      let total = 0n
      for (const c of batch) {
        const p = paid.get(c.payer) ?? 0n
        total += p
        this.paidOut.set(c.payer, c.paidBefore + p)
        this.urgent.delete(c.payer)
      }
      this.log.info({ reason, txId, payers: batch.length, total }, 'settled')
      this.emit('settle:confirmed', { reason, payee: this.payee, batch: isBatch, txId, entries, paid, total })
      return { txIds: [txId], paid, failed: [] }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err))
      let failures = 0
      for (const c of batch) {
        this.paidOut.delete(c.payer)
        const u = this.urgent.get(c.payer)
        failures = Math.max(failures, (u?.failures ?? 0) + 1)
        this.urgent.set(c.payer, { reason: u?.reason === 'watchtower' ? 'watchtower' : 'retry', failures: (u?.failures ?? 0) + 1 })
      }
      const retryInMs = this.state === 'running' && error.name !== 'AbortError'
        ? Math.min(this.retryMs * 2 ** (failures - 1), Math.max(this.retryMs, this.intervalMs))
        : null
      this.log.warn({ err: error, reason, payers: batch.length, retryInMs }, 'settlement failed')
      this.emit('settle:failed', { reason, payee: this.payee, batch: isBatch, entries, error, retryInMs })
      if (retryInMs !== null) this.scheduleRetry(retryInMs)
      return { txIds: [], paid: new Map(), failed: batch.map(c => c.payer) }
    }
  }

  /** Our channels as payee on this escrow, with their newest receipt. */
  private ourChannels (): Array<{ key: ChannelKey, payer: Address, bytes: bigint, amount: bigint }> {
    const escrow = this.chain.escrow.toLowerCase()
    return this.ledger.channels().flatMap(ch => {
      const { key, newest } = ch
      if (ch.role !== 'payee' || newest === null || key.payee !== this.payee || key.escrow !== escrow || key.chainId !== this.chain.chainId) return []
      return [{ key, payer: key.payer, bytes: newest.bytes, amount: newest.amount }]
    })
  }

  /** Channels with something unsettled that `select` picks; `paidOut` is read from the chain unless known settled. */
  private async candidates (select: (c: Candidate) => boolean, signal: AbortSignal | undefined): Promise<Candidate[]> {
    const out: Candidate[] = []
    for (const ch of this.ourChannels()) {
      let paid = this.paidOut.get(ch.payer)
      if (paid === undefined || paid < ch.amount) {
        paid = await this.chain.paidOut(ch.payer, this.payee, { ...(signal !== undefined ? { signal } : {}) })
        this.paidOut.set(ch.payer, paid)
      }
      if (ch.amount <= paid) { this.urgent.delete(ch.payer); continue }
      const c = { ...ch, paidBefore: paid }
      if (select(c)) out.push(c)
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
