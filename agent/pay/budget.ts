/**
 * A payer's budget: what it may still sign, over all its payees at once. Pure state; the payment layer fills
 * it from the chain (free balance, each payee's lane and paidOut) and the ledger (newest signed receipt).
 *
 * Each payee p can take its lane and then the free balance. What p is owed beyond what it was paid,
 * `owed_p = signed_p − paidOut_p`, is taken from the lane first; only `max(0, owed_p − lane_p)` weighs on the free
 * balance, which every payee shares. An honest payer keeps `Σ_p max(0, owed_p − lane_p) ≤ free`, so every receipt
 * it signs can be cashed in full. A settlement lowers owed_p and the lane (or the free balance) by the same
 * amount, so this view stays right without following the payees' settlements on chain.
 *
 * `cap` (`get --budget`) bounds what one run signs on top of that.
 */
export interface PayeeFunds {
  /** The lane the payer holds for this payee. */
  lane: bigint
  /** What the escrow has paid this pair so far. */
  paidOut: bigint
  /** The newest receipt's cumulative amount the payer signed to this payee (0 if none). */
  signed: bigint
}

export interface PayerBudgetInit {
  /** The payer's free balance in the escrow. */
  free: bigint
  /** Most this run may sign in total, beyond what was signed before it. @default no cap */
  cap?: bigint
}

const sub = (a: bigint, b: bigint): bigint => (a > b ? a - b : 0n)
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b)

export class PayerBudget {
  private freeBalance: bigint
  private readonly cap: bigint | null
  private spentThisRun = 0n
  private readonly payees = new Map<string, PayeeFunds>()

  constructor (init: PayerBudgetInit) {
    if (init.free < 0n) throw new RangeError(`free balance ${init.free} < 0`)
    if (init.cap !== undefined && init.cap < 0n) throw new RangeError(`budget cap ${init.cap} < 0`)
    this.freeBalance = init.free
    this.cap = init.cap ?? null
  }

  get free (): bigint { return this.freeBalance }
  /** Signed in this run beyond what was signed before it. */
  get spent (): bigint { return this.spentThisRun }
  /** The run's cap, if any. */
  get limit (): bigint | null { return this.cap }

  /** Whether a payee's funds are known (a payee not yet known gets nothing). */
  knows (payee: string): boolean { return this.payees.has(payee) }

  funds (payee: string): PayeeFunds | undefined {
    const f = this.payees.get(payee)
    return f === undefined ? undefined : { ...f }
  }

  /** Sets what the chain and the ledger say for a payee (at its hello). */
  setPayee (payee: string, funds: PayeeFunds): void {
    this.payees.set(payee, { ...funds })
  }

  /** Free balance that no payee's unsettled receipts lean on. */
  get freeHeadroom (): bigint {
    let used = 0n
    for (const f of this.payees.values()) used += sub(f.signed - f.paidOut, f.lane)
    return sub(this.freeBalance, used)
  }

  /** Lane this payee's unsettled receipts do not yet use. */
  laneHeadroom (payee: string): bigint {
    const f = this.payees.get(payee)
    return f === undefined ? 0n : sub(f.lane, f.signed - f.paidOut)
  }

  /** How much more the payer may sign to `payee` now (0 for an unknown payee). */
  headroom (payee: string): bigint {
    if (!this.payees.has(payee)) return 0n
    const room = this.laneHeadroom(payee) + this.freeHeadroom
    return this.cap === null ? room : min(room, sub(this.cap, this.spentThisRun))
  }

  /**
   * Whether nothing worth signing is left for anyone: the run's cap is spent, or no payee has `dust` of room
   * (an amount too small to pay for a piece is as good as none).
   */
  exhausted (dust = 0n): boolean {
    const useless = (room: bigint): boolean => room <= 0n || room < dust
    if (this.cap !== null && useless(this.cap - this.spentThisRun)) return true
    if (!useless(this.freeHeadroom)) return false
    for (const p of this.payees.keys()) if (!useless(this.laneHeadroom(p))) return false
    return true
  }

  /**
   * Records a receipt signed to `payee` for cumulative `amount`. Throws if it exceeds the headroom: callers
   * size receipts with `headroom` first, so this is a bug guard, not flow control.
   */
  sign (payee: string, amount: bigint): void {
    const f = this.payees.get(payee)
    if (f === undefined) throw new RangeError(`payee ${payee} is not in the budget`)
    const step = amount - f.signed
    if (step <= 0n) return
    const room = this.headroom(payee)
    if (step > room) throw new RangeError(`receipt step ${step} to ${payee} exceeds the budget headroom ${room}`)
    f.signed = amount
    this.spentThisRun += step
  }

  /** A reserve of `amount` for `payee` was mined: free balance moved into its lane. */
  reserved (payee: string, amount: bigint): void {
    const f = this.payees.get(payee)
    if (f === undefined) throw new RangeError(`payee ${payee} is not in the budget`)
    if (amount > this.freeBalance) throw new RangeError(`reserve ${amount} exceeds the free balance ${this.freeBalance}`)
    this.freeBalance -= amount
    f.lane += amount
  }

  /** What a payee's lane lacks to give it `wanted` of lane headroom, within what is free. */
  laneShortfall (payee: string, wanted: bigint): bigint {
    if (!this.payees.has(payee)) return 0n
    const missing = sub(wanted, this.laneHeadroom(payee))
    return min(missing, this.freeHeadroom)
  }
}
