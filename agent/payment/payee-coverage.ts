/**
 * The payee's side of "every byte served is backed": before a charging peer is served, its backing on the
 * escrow is read once (`prepare`); from then on the escrow's event feed keeps it fresh, and `decide` answers
 * per block from memory whether the next block stays covered — and, if not, whether settling now would help
 * (the free balance carries part of what we are owed) or the payer must reserve or deposit first. Once half the
 * trusted free balance is owed, it settles ahead, while still serving, so a fast transfer rarely waits on a block.
 *
 * ```ts
 * const coverage = new PayeeCoverage({ logger, chain, feed: scheduler.feed, settle: p => scheduler.settleNow([p], 'risk') },
 *   { payee, exposureLimit, maxStalenessMs: 30_000 })
 * await coverage.prepare(payer)            // at a verified hello, before any credit
 * coverage.decide(payer, exposure, 16384)  // 'serve' | 'settle' | 'wait'
 * ```
 */
import { setMaxListeners } from 'node:events'
import type { Logger } from 'pino'
import type { EscrowClient, EscrowEvent } from '../chain/index.ts'
import { coverageOf, coveredBytes, covers, settlingHelps, toAddress, unsettledOf, type Address, type Coverage, type CoverageLimits, type PairBacking, type PairExposure } from '../pay/index.ts'
import { TypedEmitter } from '../util/typed-emitter.ts'
import { CoverageBook } from './coverage-book.ts'

/** A payer's free balance counts only while our view of it is at most this old. */
export const DEFAULT_MAX_STALENESS_MS = 30_000
/** A payer still dirty after a re-read (an event raced it, or the read failed) is read again this much later. */
const REREAD_RETRY_MS = 1_000
/**
 * A 'serve' decision answers the payer's next blocks for at most this long (they still stop at once at its reach,
 * and at any change of what it read): the time-bound inputs — what a risk settlement costs, the staleness of the
 * view — are looked at again at least this often.
 */
const REACH_MS = 200
/** A payer that used up its free balance is cashed this long after, if the receipts for what it was served never all came. */
export const EXHAUSTED_GRACE_MS = 5_000

/** The escrow's events, as agent/settle's EscrowEventFeed delivers them (structural, to keep the layers apart). */
export interface EscrowEventSource {
  on: (name: 'events', fn: (page: { events: EscrowEvent[], toBlock: number }) => void) => unknown
  off: (name: 'events', fn: (page: { events: EscrowEvent[], toBlock: number }) => void) => unknown
  /** Clock time (ms) of the last poll that reached the chain; undefined before the first. */
  readonly lastSyncedAt: number | undefined
}

export type BackingReader = Pick<EscrowClient, 'balanceOf' | 'laneOf' | 'pendingWithdrawal' | 'pendingRelease'>

export interface PayeeCoverageComponents {
  logger: Logger
  chain: BackingReader
  /** Keeps the book fresh; without one the view ages from `prepare` and the free balance soon stops counting. */
  feed?: EscrowEventSource
  /** Settles a payer's newest receipt now (risk-triggered); resolves once mined. */
  settle?: (payer: Address) => Promise<unknown>
  /**
   * What one such settlement costs now, in token base units (the scheduler's `urgentCost`). A risk settlement
   * recovers only what rests on the free balance, so it is sent only when that is at least its cost: below, the
   * payer waits (reserve or deposit) instead of us burning more than we recover. On TRON mainnet a lone settle
   * costs ~5.8 TRX, millions of BTT: far above a cheap torrent's exposure. @default () => 0n
   */
  settlementCost?: () => bigint
  /** @default Date.now */
  clock?: () => number
}

export interface PayeeCoverageInit {
  payee: string
  /** How much of a payer's free (unreserved) balance we trust, token base units. */
  exposureLimit: bigint
  /** The escrow's withdrawal window (seconds after unlock a request can still be executed). */
  withdrawalWindow: bigint
  /** @default 30000 */
  maxStalenessMs?: number
  /**
   * Settle for risk only when at least this much of what we are owed rests on the free balance; below it the
   * payer waits (reserve or deposit) instead. Without it a nearly empty payer would be settled in ever smaller
   * crumbs, each costing a transaction. @default exposureLimit / 4
   */
  minRiskSettle?: bigint
  /**
   * Settle ahead: once this much of what we are owed rests on the free balance, settle in the background while
   * still serving, so the settlement is mined before coverage runs out instead of stalling the transfer while it
   * is mined. 0 turns it off. @default exposureLimit / 2
   */
  settleAheadAt?: bigint
}

/** What the log says when a settlement starts, by why it starts. */
const SETTLING_TEXT = {
  ahead: 'half the trusted free balance is owed; settling ahead while serving on',
  uncovered: 'next block would leave receipts uncovered; settling now',
  exhausted: 'the payer\'s receipts used up its free balance; cashing them'
} as const

/**
 * 'serve'; 'refresh': our view is being re-read (it was dirty or older than a second when coverage ran out) and
 * the block is asked again after; 'settle': we are settling the payer now; 'wait': it must reserve or deposit.
 */
export type CoverageDecision = 'serve' | 'refresh' | 'settle' | 'wait'

/**
 * How far a 'serve' decision reaches: with the same receipt and price, every block while unpaid bytes (the block
 * included) stay within `maxBytes` (null: no bound) is served, until `until`, unless anything else decide() reads
 * changed meanwhile (`epoch`).
 */
interface ServeReach {
  epoch: number
  receiptAmount: bigint
  pricePerMiB: bigint
  maxBytes: bigint | null
  until: number
}

export interface PayeeCoverageEvents {
  /** A payer's backing changed (deposit, reserve, settlement): a choked payer may be served again. */
  'coverage:changed': { payer: Address }
  /** We settle a payer now because its next block would leave our receipts uncovered. */
  'coverage:settling': { payer: Address, unsettled: bigint, coverage: Coverage }
}

export class PayeeCoverage extends TypedEmitter<PayeeCoverageEvents> {
  readonly book: CoverageBook
  private readonly c: PayeeCoverageComponents
  private readonly init: PayeeCoverageInit
  private readonly clock: () => number
  private readonly readAt = new Map<Address, number>()
  /** When a payer's coverage last ran out (cleared once it is served again): its view is re-read after that. */
  private readonly shortSince = new Map<Address, number>()
  /** When a payer's receipts used up its free balance (cleared once it is served again): cashed out after that. */
  private readonly exhaustedSince = new Map<Address, number>()
  private readonly settling = new Set<Address>()
  /** When a payer first owed settleAheadAt on its free balance (cleared once it no longer does): read again after that. */
  private readonly aheadSince = new Map<Address, number>()
  private readonly rereading = new Set<Address>()
  private readonly reach = new Map<Address, ServeReach>()
  /** Bumped whenever what decide() reads besides its arguments and the clock changes: a read, an event, a settlement. */
  private epoch = 0
  private readonly abort = new AbortController()
  private readonly onEvents = ({ events }: { events: EscrowEvent[] }): void => { this.apply(events) }

  constructor (components: PayeeCoverageComponents, init: PayeeCoverageInit) {
    super()
    this.c = components
    this.init = init
    this.clock = components.clock ?? Date.now
    this.book = new CoverageBook({ payee: init.payee })
    // every chain read of every payer listens on it
    setMaxListeners(Infinity, this.abort.signal)
    components.feed?.on('events', this.onEvents)
  }

  /**
   * Reads a payer's backing from the chain (once per payer; again with `force`). If an event arrived while
   * reading, the read may predate it: the pessimistic overlay stays and the payer is read again.
   */
  async prepare (payer: Address, options: { signal?: AbortSignal, force?: boolean } = {}): Promise<PairBacking> {
    const known = this.book.get(payer)
    if (known !== undefined && options.force !== true) return known
    const signal = options.signal ?? this.abort.signal
    const startedAt = this.book.version(payer)
    const [free, pair, withdrawal, release] = await Promise.all([
      this.c.chain.balanceOf(payer, { signal }),
      this.c.chain.laneOf(payer, this.book.payee, { signal }),
      this.c.chain.pendingWithdrawal(payer, { signal }),
      this.c.chain.pendingRelease(payer, this.book.payee, { signal })
    ])
    const clean = this.book.set(payer, { free, lane: pair.lane, paidOut: pair.paidOut, withdrawal, release }, startedAt)
    this.readAt.set(payer, this.clock())
    this.epoch++
    if (!clean) this.reread(payer)
    this.emit('coverage:changed', { payer })
    return this.book.get(payer)!
  }

  /** How much of a payer's free balance we trust. */
  get exposureLimit (): bigint { return this.init.exposureLimit }

  /** The payer's coverage now (undefined before `prepare`). */
  coverage (payer: Address): Coverage | undefined {
    const b = this.book.get(payer)
    return b === undefined ? undefined : coverageOf(b, this.limits(payer))
  }

  /**
   * Whether `length` more bytes may be served to `payer`: 'serve'; 'refresh' (its view is being read once more);
   * 'settle' (we are settling it now, serve again once that is mined); 'wait' (it must reserve or deposit). Reads
   * memory only; 'coverage:changed' says when to ask again.
   */
  decide (payer: Address, exposure: PairExposure, length: number): CoverageDecision {
    // A transfer asks this twice per 16 KiB block: answer from the last 'serve' while nothing it read has changed.
    const r = this.reach.get(payer)
    if (r !== undefined && r.epoch === this.epoch && r.receiptAmount === exposure.receiptAmount && r.pricePerMiB === exposure.pricePerMiB &&
      (r.maxBytes === null || exposure.unpaidBytes + BigInt(length) <= r.maxBytes) && this.clock() < r.until) return 'serve'
    const decision = this.decideNow(payer, exposure, length)
    if (decision !== 'serve') this.reach.delete(payer)
    return decision
  }

  private decideNow (payer: Address, exposure: PairExposure, length: number): CoverageDecision {
    const b = this.book.get(payer)
    if (b === undefined) return 'wait'
    const limits = this.limits(payer)
    const coverage = coverageOf(b, limits)
    if (covers(coverage, b, exposure, BigInt(length))) {
      this.shortSince.delete(payer)
      this.exhaustedSince.delete(payer)
      const epoch = this.epoch
      this.settleAhead(payer, b, exposure, coverage, limits)
      // Settling ahead depends on the receipt, not on unpaid bytes: unless it just started a read or a settlement
      // (which bump the epoch), it would do nothing for the next blocks either.
      if (this.epoch === epoch) {
        const now = this.clock()
        const staleAt = limits.stale === true ? Infinity : this.syncedAt(payer) + this.maxStalenessMs
        this.reach.set(payer, {
          epoch,
          receiptAmount: exposure.receiptAmount,
          pricePerMiB: exposure.pricePerMiB,
          maxBytes: coveredBytes(coverage, b, exposure),
          until: Math.min(now + REACH_MS, staleAt)
        })
      }
      return 'serve'
    }
    // Coverage ran out: read the payer once more before deciding. One read is far cheaper than a settlement, and
    // the payer may just have reserved a lane or deposited (the feed delivers events a poll late).
    if (this.rereading.has(payer)) return 'refresh'
    const since = this.shortSince.get(payer) ?? this.clock()
    this.shortSince.set(payer, since)
    if (this.book.isDirty(payer) || (this.readAt.get(payer) ?? 0) <= since) {
      this.reread(payer)
      return 'refresh'
    }
    if (this.c.settle === undefined) return 'wait'
    if (!settlingHelps(b, exposure, limits)) {
      this.cashOut(payer, b, exposure, coverage)
      return 'wait'
    }
    this.exhaustedSince.delete(payer)
    const onFree = unsettledOf(b, exposure) - coverage.lane
    if (onFree < this.minRiskSettle()) return 'wait'
    this.settleNow(payer, exposure, coverage)
    return 'settle'
  }

  /**
   * A payer whose receipts used up its free balance (the balance, not the exposure limit, bounds what we trust)
   * cannot be served more until it reserves or deposits, and settling frees nothing. What rests on its free balance
   * is still at risk (the payer can empty it to a second account in one transaction), so it is cashed once: when
   * every byte served to it is paid for, or EXHAUSTED_GRACE_MS after it ran out (a partly served piece it never
   * verifies is never paid for). Settling the moment it ran out would leave the receipts for the blocks in flight
   * to the shutdown settlement. Cashed even below the crumb floor (it is one settlement per exhaustion), never when
   * the settlement costs more than it recovers.
   */
  private cashOut (payer: Address, b: PairBacking, exposure: PairExposure, coverage: Coverage): void {
    const now = this.clock()
    const since = this.exhaustedSince.get(payer) ?? now
    this.exhaustedSince.set(payer, since)
    // once per exhaustion, not a stream of ever smaller crumbs: the crumb floor does not apply, the cost does
    const onFree = unsettledOf(b, exposure) - coverage.lane
    if (onFree <= 0n || onFree < (this.c.settlementCost?.() ?? 0n)) return
    if (exposure.unpaidBytes > 0n && now - since < EXHAUSTED_GRACE_MS) return
    this.settleNow(payer, exposure, coverage, 'exhausted')
  }

  /**
   * Starts a settlement while the payer is still covered once enough rests on its free balance (settleAheadAt).
   * As when coverage runs out, the payer is read once more first (it may just have reserved the lane we asked for,
   * and the feed delivers events a poll late): a read is far cheaper than a settlement. Serving goes on meanwhile.
   */
  private settleAhead (payer: Address, b: PairBacking, exposure: PairExposure, coverage: Coverage, limits: CoverageLimits): void {
    const at = this.init.settleAheadAt ?? this.init.exposureLimit / 2n
    if (at === 0n || this.settling.has(payer) || this.c.settle === undefined) return
    const onFree = unsettledOf(b, exposure) - coverage.lane
    // settling ahead is for not stalling at the exposure limit: where the balance binds, it would free nothing
    if (onFree < at || onFree < this.minRiskSettle() || !settlingHelps(b, exposure, limits)) {
      this.aheadSince.delete(payer)
      return
    }
    if (this.rereading.has(payer)) return
    const since = this.aheadSince.get(payer) ?? this.clock()
    this.aheadSince.set(payer, since)
    if (this.book.isDirty(payer) || (this.readAt.get(payer) ?? 0) <= since) { this.reread(payer); return }
    this.aheadSince.delete(payer)
    this.settleNow(payer, exposure, coverage, 'ahead')
  }

  /** The least a risk settlement must recover: the configured floor, and never less than what it costs. */
  minRiskSettle (): bigint {
    const floor = this.init.minRiskSettle ?? this.init.exposureLimit / 4n
    const cost = this.c.settlementCost?.() ?? 0n
    return cost > floor ? cost : floor
  }

  stop (): void {
    this.c.feed?.off('events', this.onEvents)
    this.abort.abort()
  }

  private get maxStalenessMs (): number { return this.init.maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS }

  /** When our view of the payer was last known current: its read, or the feed's last poll. */
  private syncedAt (payer: Address): number {
    return Math.max(this.readAt.get(payer) ?? 0, this.c.feed?.lastSyncedAt ?? 0)
  }

  private limits (payer: Address): CoverageLimits {
    const now = this.clock()
    return {
      exposureLimit: this.init.exposureLimit,
      stale: now - this.syncedAt(payer) > this.maxStalenessMs,
      withdrawalWindow: this.init.withdrawalWindow,
      nowSeconds: BigInt(Math.floor(now / 1000))
    }
  }

  private apply (events: readonly EscrowEvent[]): void {
    for (const payer of this.book.note(events)) {
      this.epoch++
      this.emit('coverage:changed', { payer })
      this.reread(payer)
    }
  }

  /** Events touched a payer: read its backing again (one read at a time per payer; a later event reads again). */
  private reread (payer: Address): void {
    if (this.rereading.has(payer)) return
    this.rereading.add(payer)
    this.epoch++
    this.prepare(payer, { force: true })
      .catch((err: unknown) => { if (!this.abort.signal.aborted) this.c.logger.warn({ err, payer }, 're-reading a payer\'s backing failed') })
      .finally(() => {
        this.rereading.delete(payer)
        this.epoch++
        // decide() answered 'refresh' while this ran: ask again now that it is over
        this.emit('coverage:changed', { payer })
        if (this.book.isDirty(payer) && !this.abort.signal.aborted) setTimeout(() => { this.reread(payer) }, REREAD_RETRY_MS).unref()
      })
  }

  private settleNow (payer: Address, exposure: PairExposure, coverage: Coverage, why: 'ahead' | 'uncovered' | 'exhausted' = 'uncovered'): void {
    const settle = this.c.settle
    if (settle === undefined || this.settling.has(payer)) return
    this.settling.add(payer)
    this.epoch++
    const b = this.book.get(payer)!
    const unsettled = exposure.receiptAmount - b.paidOut
    this.c.logger.info({ payer: toAddress(payer), unsettled, lane: coverage.lane, free: coverage.free }, SETTLING_TEXT[why])
    this.emit('coverage:settling', { payer, unsettled, coverage })
    settle(payer)
      .then(async () => await this.prepare(payer, { force: true }))
      .catch((err: unknown) => { if (!this.abort.signal.aborted) this.c.logger.warn({ err, payer }, 'risk-triggered settlement failed') })
      .finally(() => {
        this.settling.delete(payer)
        this.epoch++
        // decide() answered 'settle' while this ran: ask again now that it is over
        this.emit('coverage:changed', { payer })
      })
  }
}
