/**
 * The credit policy: how far a payee serves ahead of payment, and when it chokes and unchokes a payer.
 *
 * Credit is earned: a payer starts at `initial` and is granted more as it pays, `initial + EARN_RATE × what it
 * paid for in this session`, up to `credit` (the `--credit` a payee sets). A fast payer needs a window as large as its rate
 * times the receipt round trip (sign, fsync, send, verify, fsync); a payer that never pays never gets past
 * `initial`, and none gets past `credit`, so what a payee can lose to one payer stays `credit` (docs/risk.md).
 * Hysteresis keeps a payer that pays steadily from flapping between choked and unchoked.
 */
import { MIB } from './price.ts'

/** The most a payer is served ahead of its newest receipt, by default: 32 MiB is ~130 ms at 250 MB/s. */
export const DEFAULT_CREDIT = 32n * MIB
/** What a payer starts with: covers a piece of up to 2 MiB plus the blocks in flight (BEP 3 pieces are commonly ≤ 1 MiB). */
export const INITIAL_CREDIT = 4n * MIB
/**
 * Credit earned per byte paid for. At 1 the ramp from 4 to 32 MiB took 28 MiB of paid transfer (190 ms of a
 * 530 ms 128 MiB download on loopback spent with the pipe half empty); at 2 it takes 14 MiB. What a payee can
 * lose stays bounded by the cap, and a payer that never pays still gets only `initial`.
 */
export const EARN_RATE = 2n

export interface CreditPolicyInit {
  /** The most a payer is ever served beyond its newest receipt. @default 32 MiB */
  credit?: bigint
  /** What a payer starts with. @default min(4 MiB, credit) */
  initial?: bigint
}

export class CreditPolicy {
  /** The most granted to any payer: the payee's exposure to one payer. */
  readonly credit: bigint
  /** The credit every payer starts with (in the hello). */
  readonly initial: bigint

  constructor (init: CreditPolicyInit = {}) {
    this.credit = init.credit ?? DEFAULT_CREDIT
    if (this.credit < 0n) throw new RangeError(`credit ${this.credit} < 0`)
    this.initial = init.initial ?? (this.credit < INITIAL_CREDIT ? this.credit : INITIAL_CREDIT)
    if (this.initial < 0n || this.initial > this.credit) throw new RangeError(`initial credit ${this.initial} not in [0, ${this.credit}]`)
  }

  /** The credit a payer has earned after paying for `paidBytes` in this session. */
  earned (paidBytes: bigint): bigint {
    const c = this.initial + (paidBytes > 0n ? EARN_RATE * paidBytes : 0n)
    return c < this.credit ? c : this.credit
  }

  /**
   * Whether a payer granted `current` should be told about `next`: once it grew by a quarter (a message per
   * doubling or so, not per receipt), or reached the cap.
   */
  worthAnnouncing (current: bigint, next: bigint): boolean {
    if (next <= current) return false
    return next === this.credit || next - current >= current / 4n
  }

  /** A block of `length` may be served if it keeps unpaid bytes within the payer's credit. */
  mayServe (unpaid: bigint, length: bigint, credit: bigint = this.credit): boolean {
    return unpaid + length <= credit
  }

  /**
   * The choke state after a change in unpaid bytes. An unchoked payer is choked when the next block of
   * `blockLength` would not fit in its credit; a choked one is unchoked only when unpaid ≤ half of it.
   */
  choked (unpaid: bigint, wasChoked: boolean, blockLength: bigint, credit: bigint = this.credit): boolean {
    if (wasChoked) return unpaid > credit / 2n
    return !this.mayServe(unpaid, blockLength, credit)
  }
}
