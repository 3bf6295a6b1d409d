/**
 * The credit policy: how far a payee serves ahead of payment, and when it chokes and unchokes a payer.
 * Hysteresis keeps a payer that pays steadily from flapping between choked and unchoked.
 */
import { MIB } from './price.ts'

/** Default credit: 4 MiB covers a piece of up to 2 MiB plus the blocks in flight (BEP 3 pieces are ≤ 16 MiB, commonly ≤ 1 MiB). */
export const DEFAULT_CREDIT = 4n * MIB

export interface CreditPolicyInit {
  /** Bytes a payee serves beyond the newest receipt. @default 4 MiB */
  credit?: bigint
  /** A choked payer is unchoked once unpaid bytes are at most this. @default credit / 2 */
  resumeAt?: bigint
}

export class CreditPolicy {
  readonly credit: bigint
  readonly resumeAt: bigint

  constructor (init: CreditPolicyInit = {}) {
    this.credit = init.credit ?? DEFAULT_CREDIT
    this.resumeAt = init.resumeAt ?? this.credit / 2n
    if (this.credit < 0n) throw new RangeError(`credit ${this.credit} < 0`)
    if (this.resumeAt < 0n || this.resumeAt > this.credit) throw new RangeError(`resumeAt ${this.resumeAt} not in [0, credit]`)
  }

  /** A block of `length` may be served if it keeps unpaid bytes within the credit. */
  mayServe (unpaid: bigint, length: bigint): boolean {
    return unpaid + length <= this.credit
  }

  /**
   * The choke state after a change in unpaid bytes. An unchoked payer is choked when the next block of
   * `blockLength` would not fit in the credit; a choked one is unchoked only when unpaid ≤ `resumeAt`.
   */
  choked (unpaid: bigint, wasChoked: boolean, blockLength: bigint): boolean {
    if (wasChoked) return unpaid > this.resumeAt
    return !this.mayServe(unpaid, blockLength)
  }
}
