/**
 * The network's current fee price (TRON: sun per energy; EVM: wei per gas), read through `chain.feePrice` at
 * start and again at most every `refreshMs`. A failed read keeps the last value (and is logged): a threshold a
 * few minutes old is better than none, and settlement must not stop because a fee endpoint is down.
 */
import type { Logger } from 'pino'
import type { CallOptions, EscrowClient } from '../chain/index.ts'
import { FeeConfigError } from './errors.ts'

/** TRON changes its energy price by committee vote, a few times a year; gas prices move faster but only matter in bulk. */
const DEFAULT_REFRESH_MS = 5 * 60_000

export interface FeeOracleComponents {
  logger: Logger
  chain: Pick<EscrowClient, 'feePrice'>
  /** @default Date.now */
  clock?: () => number
}

export interface FeeOracleInit {
  /** The price used until the first read succeeds. */
  fallback: bigint
  /** A fixed price: never read the chain (tests, or an operator who prices energy by staking). */
  fixed?: bigint
  /** @default 300000 (5 min) */
  refreshMs?: number
}

export class FeeOracle {
  readonly refreshMs: number
  private readonly log: Logger
  private readonly chain: FeeOracleComponents['chain']
  private readonly clock: () => number
  private readonly fixed: boolean
  private value: bigint
  private readAt: number | undefined
  /** Clock ms of the last attempt, successful or not: a failing endpoint is asked no more often than a working one. */
  private triedAt: number | undefined
  private reading: Promise<bigint> | null = null

  constructor (components: FeeOracleComponents, init: FeeOracleInit) {
    this.log = components.logger.child({ component: 'fees' })
    this.chain = components.chain
    this.clock = components.clock ?? Date.now
    this.refreshMs = init.refreshMs ?? DEFAULT_REFRESH_MS
    if (!(this.refreshMs >= 0)) throw new FeeConfigError(`refreshMs must be ≥ 0, got ${this.refreshMs}`)
    const start = init.fixed ?? init.fallback
    if (start <= 0n) throw new FeeConfigError(`a fee price must be > 0, got ${start}`)
    this.value = start
    this.fixed = init.fixed !== undefined
  }

  /** The price in use: the last one read, or the fallback (or the fixed price). */
  get price (): bigint { return this.value }

  /** Clock ms of the last successful read; undefined before one. */
  get lastReadAt (): number | undefined { return this.readAt }

  /**
   * Reads the price if the last read is older than `refreshMs` (or `force`). Never rejects for a failed read:
   * it logs it and resolves with the price kept. Concurrent calls share one read.
   */
  async refresh (options: CallOptions & { force?: boolean } = {}): Promise<bigint> {
    if (this.fixed) return this.value
    const fresh = this.triedAt !== undefined && this.clock() - this.triedAt < this.refreshMs
    if (fresh && options.force !== true) return this.value
    this.reading ??= (async () => {
      this.triedAt = this.clock()
      try {
        const price = await this.chain.feePrice(options.signal !== undefined ? { signal: options.signal } : {})
        if (price <= 0n) throw new FeeConfigError(`the chain reported a fee price of ${price}`)
        if (price !== this.value) this.log.info({ price, was: this.value }, 'fee price read')
        this.value = price
        this.readAt = this.clock()
      } catch (err) {
        this.log.warn({ err, kept: this.value }, 'reading the fee price failed; keeping the last one')
      } finally {
        this.reading = null
      }
      return this.value
    })()
    return await this.reading
  }
}
