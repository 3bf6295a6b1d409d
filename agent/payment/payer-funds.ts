/**
 * The payer's side of "never sign what cannot be paid": a PayerBudget filled from the chain (our free balance
 * less a pending withdrawal, each payee's lane and paidOut) and the ledger (what we already signed to it), and
 * the lanes payees ask for, reserved in batches (`reserve` takes many payees in one transaction).
 *
 * ```ts
 * const funds = new PayerFunds({ logger, chain, ledger }, { payer, domain, cap, autoLane: true })
 * await funds.start()
 * await funds.prepare(payee, wantedLane)   // at a verified hello; the payee gets nothing until this resolves
 * funds.headroom(payee)                     // what the next receipt may add
 * ```
 */
import { setMaxListeners } from 'node:events'
import type { Logger } from 'pino'
import type { EscrowClient } from '../chain/index.ts'
import type { Ledger } from '../ledger/index.ts'
import { PayerBudget, channelKey, type Address, type EscrowDomain } from '../pay/index.ts'
import { TypedEmitter } from '../util/typed-emitter.ts'

export type FundsReader = Pick<EscrowClient, 'balanceOf' | 'laneOf' | 'pendingWithdrawal' | 'reserve'>

export interface PayerFundsComponents {
  logger: Logger
  chain: FundsReader
  ledger: Ledger
}

export interface PayerFundsInit {
  payer: Address
  domain: EscrowDomain
  /** Most this run signs (`get --budget`). @default no cap */
  cap?: bigint
  /** Reserve the lane a payee's hello asks for (within the budget). @default true */
  autoLane?: boolean
  /** Most we reserve for one payee, whatever it asks. @default no limit beyond the budget */
  maxLane?: bigint
  /** Room below this pays for nothing useful (e.g. a piece at the most we pay): the budget counts as spent. @default 0 */
  dust?: bigint
}

export interface PayerFundsEvents {
  /** The budget grew for some payee (a lane was reserved, a payee became known): ask for more. */
  'funds:changed': { payee: Address }
  /** Lanes were reserved in one transaction. */
  'lane:reserved': { txId: string, lanes: Array<{ payee: Address, amount: bigint }> }
  'lane:failed': { payees: Address[], error: Error }
  /** Nothing more can be signed to anyone this run: charging peers are no longer asked. */
  'budget:exhausted': { spent: bigint, cap: bigint | null, free: bigint }
}

export class PayerFunds extends TypedEmitter<PayerFundsEvents> {
  private budgetState: PayerBudget | null = null
  private readonly c: PayerFundsComponents
  private readonly init: PayerFundsInit
  private readonly pending = new Map<Address, bigint>()
  /** Lane amounts in a reserve transaction not mined yet. */
  private readonly inflight = new Map<Address, bigint>()
  /** Resolves when the reserve carrying a payee's lane request is mined or failed. */
  private readonly reserving = new Map<Address, Promise<void>>()
  /** The lane each payee asked for in its hello; topped up as receipts use it. */
  private readonly wanted = new Map<Address, bigint>()
  private readonly preparing = new Map<Address, Promise<void>>()
  /** The requests in `pending`: resolves when the reserve carrying them is mined or failed. */
  private next: { mined: Promise<void>, resolve: () => void } | null = null
  /** Sends reserves one after another while requests are pending (null when idle). */
  private sending: Promise<void> | null = null
  private stopped = false
  private wasExhausted = false
  private readonly abort = new AbortController()

  constructor (components: PayerFundsComponents, init: PayerFundsInit) {
    super()
    this.c = components
    this.init = init
    setMaxListeners(Infinity, this.abort.signal)
  }

  get budget (): PayerBudget {
    if (this.budgetState === null) throw new Error('PayerFunds used before start()')
    return this.budgetState
  }

  /** Reads our free balance; a pending withdrawal is money already on its way out, so it does not count. */
  async start (options: { signal?: AbortSignal } = {}): Promise<void> {
    const [free, withdrawal] = await Promise.all([
      this.c.chain.balanceOf(this.init.payer, options),
      this.c.chain.pendingWithdrawal(this.init.payer, options)
    ])
    const spendable = withdrawal.unlockAt > 0n && withdrawal.amount < free ? free - withdrawal.amount : (withdrawal.unlockAt > 0n ? 0n : free)
    this.budgetState = new PayerBudget({ free: spendable, ...(this.init.cap !== undefined ? { cap: this.init.cap } : {}) })
  }

  /**
   * Learns a payee's lane and paidOut (once), then asks for the lane it wants if that is short and auto-lane is
   * on. Resolves once the payee is in the budget (not when the reserve is mined).
   */
  async prepare (payee: Address, wantedLane: bigint): Promise<void> {
    let p = this.preparing.get(payee)
    if (p === undefined) {
      p = this.load(payee)
      this.preparing.set(payee, p)
      p.catch(() => { this.preparing.delete(payee) })
    }
    await p
    if (wantedLane > 0n) this.wanted.set(payee, wantedLane)
    this.askLane(payee, wantedLane)
    // A payee that asked for a lane is paid from it from the first byte: otherwise it would serve us against
    // our free balance and settle for risk (a transaction) just before our lane shows up.
    await this.reserving.get(payee)
  }

  /** What the next receipt to `payee` may add (0 until `prepare` resolved). */
  headroom (payee: Address): bigint {
    return this.budgetState?.headroom(payee) ?? 0n
  }

  /** Records a receipt we signed (cumulative `amount`), and reports when nothing is left to sign. */
  signed (payee: Address, amount: bigint): void {
    this.budget.sign(payee, amount)
    this.askLane(payee, this.wanted.get(payee) ?? 0n)
    this.checkExhausted()
  }

  /**
   * Free headroom shared among `n` charging payees plus this payee's own lane headroom; 0 until the payee is
   * known and while the lane it asked for is being reserved (it would serve us against our free balance).
   */
  share (payee: Address, n: number): bigint {
    const b = this.budgetState
    if (b === null || !b.knows(payee) || this.reserving.has(payee)) return 0n
    const lane = b.laneHeadroom(payee)
    const free = b.freeHeadroom / BigInt(Math.max(1, n))
    const room = lane + free
    const cap = b.limit === null ? room : b.limit - b.spent
    return room < cap ? room : (cap > 0n ? cap : 0n)
  }

  async stop (): Promise<void> {
    this.stopped = true
    // lanes asked for but not sent: a run that is ending does not need them
    this.pending.clear()
    this.next?.resolve()
    this.next = null
    await this.sending
    this.abort.abort()
  }

  private async load (payee: Address): Promise<void> {
    const { lane, paidOut } = await this.c.chain.laneOf(this.init.payer, payee, { signal: this.abort.signal })
    const newest = this.c.ledger.newest(channelKey(this.init.domain, this.init.payer, payee))
    this.budget.setPayee(payee, { lane, paidOut, signed: newest?.amount ?? 0n })
    this.emit('funds:changed', { payee })
    this.checkExhausted()
  }

  private askLane (payee: Address, wanted: bigint): void {
    // a run that is stopping reserves nothing more
    if (this.init.autoLane === false || wanted <= 0n || this.stopped) return
    const capped = this.init.maxLane !== undefined && this.init.maxLane < wanted ? this.init.maxLane : wanted
    const shortfall = this.budget.laneShortfall(payee, capped) - (this.pending.get(payee) ?? 0n) - (this.inflight.get(payee) ?? 0n)
    // Not worth a transaction for crumbs: top up once a lane is down to a quarter of what was asked.
    if (shortfall <= 0n || this.budget.laneHeadroom(payee) * 4n >= capped) return
    this.pending.set(payee, (this.pending.get(payee) ?? 0n) + shortfall)
    const mined = this.queued()
    this.reserving.set(payee, mined)
    void mined.then(() => {
      if (this.reserving.get(payee) !== mined) return
      this.reserving.delete(payee)
      // requests to this payee were held while its lane was being reserved: ask again now
      this.emit('funds:changed', { payee })
    })
  }

  /**
   * When the reserve carrying what is pending now is mined or failed. Group commit, not a batch window: the first
   * request goes out at once (after this turn, so the hellos read in one turn share a transaction), and the
   * requests that arrive while a reserve is being mined go together in the next. A payee's first byte waits for
   * one transaction, never for a timer, and a slow chain (TRON's 3 s blocks) batches the most.
   */
  private queued (): Promise<void> {
    if (this.next === null) {
      let resolve!: () => void
      const mined = new Promise<void>(r => { resolve = r })
      this.next = { mined, resolve }
    }
    this.sending ??= this.sendAll()
    return this.next.mined
  }

  private async sendAll (): Promise<void> {
    await new Promise<void>(resolve => { setImmediate(resolve) })
    try {
      for (let batch = this.next; batch !== null; batch = this.next) {
        this.next = null
        await this.send().catch((err: unknown) => { this.c.logger.error({ err }, 'reserving lanes failed') })
        batch.resolve()
      }
    } finally {
      this.sending = null
    }
  }

  /** Sends the pending lane requests as one `reserve` transaction, and waits for it. */
  private async send (): Promise<void> {
    const lanes = [...this.pending].map(([payee, amount]) => ({ payee, amount }))
    this.pending.clear()
    if (lanes.length === 0) return
    for (const l of lanes) this.inflight.set(l.payee, (this.inflight.get(l.payee) ?? 0n) + l.amount)
    try {
      // The budget may have shrunk since the requests were queued (receipts signed meanwhile).
      const affordable = lanes.flatMap(l => {
        const amount = l.amount < this.budget.freeHeadroom ? l.amount : this.budget.freeHeadroom
        return amount > 0n ? [{ payee: l.payee, amount }] : []
      })
      if (affordable.length === 0) return
      const result = await this.c.chain.reserve(affordable, { signal: this.abort.signal })
      for (const l of affordable) this.budget.reserved(l.payee, l.amount)
      this.c.logger.info({ txId: result.txId, lanes: affordable.length }, 'reserved lanes')
      this.emit('lane:reserved', { txId: result.txId, lanes: affordable })
      for (const l of affordable) this.emit('funds:changed', { payee: l.payee })
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err))
      this.c.logger.warn({ err: error, payees: lanes.map(l => l.payee) }, 'reserving lanes failed; paying from the free balance')
      this.emit('lane:failed', { payees: lanes.map(l => l.payee), error })
    } finally {
      for (const l of lanes) {
        const left = (this.inflight.get(l.payee) ?? 0n) - l.amount
        if (left > 0n) this.inflight.set(l.payee, left)
        else this.inflight.delete(l.payee)
      }
    }
  }

  private checkExhausted (): void {
    const b = this.budget
    if (this.wasExhausted || !b.exhausted(this.init.dust ?? 0n)) return
    this.wasExhausted = true
    this.emit('budget:exhausted', { spent: b.spent, cap: b.limit, free: b.free })
  }
}
