/**
 * A payee's view of one channel (one payer, one payee, one escrow) during a session: bytes served, the
 * newest receipt held, and the choke state the credit policy derives from them. Pure state: the caller
 * stores an accepted receipt durably between `check` and `commit`.
 */
import { amountFor, BLOCK_LENGTH, MAX_RECEIPT_AMOUNT, MAX_RECEIPT_BYTES } from './price.ts'
import { CreditPolicy } from './credit.ts'
import { DustReceiptError, ReceiptOutOfRangeError, StaleReceiptError, UnderpaidReceiptError } from './errors.ts'
import type { ReceiptVerifier } from './verifier.ts'
import type { Address } from './bytes.ts'
import type { SignedReceipt } from './receipt.ts'

/** BEP 3 blocks are 16 KiB, so an honest payer's receipt (one per verified piece) never advances by less. */
export const DEFAULT_MIN_RECEIPT_STEP = 16n * 1024n
/**
 * Short steps accepted in a row before a payer counts as flooding. An honest payer makes one short step per
 * torrent (the file's last piece may be shorter than a block, and may verify before the full pieces), so a
 * few in a row cover several torrents finishing together while a flood of tiny receipts is still cut off.
 */
export const MAX_SHORT_STEPS_IN_A_ROW = 4

export interface PayeeChannelComponents {
  verifier: ReceiptVerifier
  policy: CreditPolicy
}

export interface PayeeChannelInit {
  payer: Address
  payee: Address
  /** Our price for this session, token base units per MiB. */
  pricePerMiB: bigint
  /** The newest receipt held from this payer when the session starts (from the ledger). @default none */
  held?: SignedReceipt | null
  /** Largest block we serve; the choke decision reserves room for one. @default 16 KiB */
  blockLength?: number
  /** Least a receipt must advance cumulative bytes by, unless it covers everything served. @default 16 KiB */
  minStep?: bigint
}

export class PayeeChannel {
  readonly payer: Address
  readonly payee: Address
  readonly pricePerMiB: bigint
  /** What the session started from; receipts are priced from here so a price change is not retroactive. */
  readonly base: { bytes: bigint, amount: bigint }
  private heldReceipt: SignedReceipt | null
  private servedBytes: bigint
  /** What the payer may be served beyond its newest receipt now (earned as it pays, credit.ts). */
  private grantedCredit: bigint
  private isChoked = false
  /** Checked receipts being stored: each may lower what is unpaid once it counts (commit). */
  private storing = 0
  /** At its credit with no receipt being stored: the payer's requests wait for the one on its way (`endWait`). */
  private waiting = false
  private shortStepsInARow = 0
  private readonly blockLength: bigint
  private readonly minStep: bigint
  private readonly verifier: ReceiptVerifier
  private readonly policy: CreditPolicy

  constructor (components: PayeeChannelComponents, init: PayeeChannelInit) {
    this.verifier = components.verifier
    this.policy = components.policy
    this.payer = init.payer
    this.payee = init.payee
    this.pricePerMiB = init.pricePerMiB
    this.heldReceipt = init.held ?? null
    this.base = { bytes: this.heldReceipt?.bytes ?? 0n, amount: this.heldReceipt?.amount ?? 0n }
    this.servedBytes = this.base.bytes
    this.grantedCredit = this.policy.initial
    this.blockLength = BigInt(init.blockLength ?? BLOCK_LENGTH)
    this.minStep = init.minStep ?? DEFAULT_MIN_RECEIPT_STEP
  }

  get held (): SignedReceipt | null { return this.heldReceipt }
  /** Cumulative bytes served on this channel (including bytes covered by receipts of earlier sessions). */
  get served (): bigint { return this.servedBytes }
  /** Bytes served and not yet covered by a receipt; a receipt covering more (prepayment) makes it 0. */
  get unpaid (): bigint {
    const paid = this.heldReceipt?.bytes ?? 0n
    return this.servedBytes > paid ? this.servedBytes - paid : 0n
  }

  get choked (): boolean { return this.isChoked }
  /** The credit granted now: the hello's, then what `grow` raised it to. */
  get credit (): bigint { return this.grantedCredit }

  mayServe (length: number): boolean {
    return !this.isChoked && this.policy.mayServe(this.unpaid, BigInt(length), this.grantedCredit)
  }

  /**
   * Raises the credit to what the payer earned by paying in this session (policy.earned), if that is worth
   * telling it (policy.worthAnnouncing).
   * @returns the new credit to announce, or null
   */
  grow (): bigint | null {
    const paid = (this.heldReceipt?.bytes ?? 0n) - this.base.bytes
    const next = this.policy.earned(paid)
    if (!this.policy.worthAnnouncing(this.grantedCredit, next)) return null
    this.grantedCredit = next
    this.updateChoke(false)
    return next
  }

  /**
   * Counts `length` bytes served.
   * @returns 'waiting' if the payer reached its credit and now waits for a receipt on its way (the caller bounds
   * the wait and calls `endWait`), 'choked' if this choked it
   */
  onServed (length: number): 'waiting' | 'choked' | null {
    this.servedBytes += BigInt(length)
    const decision = this.updateChoke(true)
    return decision === 'unchoked' ? null : decision
  }

  /**
   * Throws an InvalidReceiptError subclass unless the receipt advances the channel, pays at least our price
   * for its bytes, and is signed by the payer or its signer. Cheap checks run before the signature.
   */
  check (receipt: { bytes: bigint, amount: bigint, sig: Uint8Array }): void {
    if (receipt.bytes > MAX_RECEIPT_BYTES) throw new ReceiptOutOfRangeError('bytes', receipt.bytes)
    if (receipt.amount > MAX_RECEIPT_AMOUNT) throw new ReceiptOutOfRangeError('amount', receipt.amount)
    const held = this.heldReceipt
    if (held !== null) {
      const behind = receipt.bytes < held.bytes || receipt.amount < held.amount
      const same = receipt.bytes === held.bytes && receipt.amount === held.amount
      if (behind || same) throw new StaleReceiptError(held, receipt)
    }
    const step = receipt.bytes - (held?.bytes ?? 0n)
    if (this.isShortStep(step, receipt.bytes) && this.shortStepsInARow >= MAX_SHORT_STEPS_IN_A_ROW) {
      throw new DustReceiptError(step, this.minStep, this.servedBytes)
    }
    if (receipt.bytes >= this.base.bytes) {
      const owed = amountFor(receipt.bytes - this.base.bytes, this.pricePerMiB)
      if (receipt.amount - this.base.amount < owed) {
        throw new UnderpaidReceiptError(receipt.bytes, receipt.amount, this.base.amount + owed, this.pricePerMiB)
      }
    }
    this.verifier.verify(this.payer, this.payee, receipt.bytes, receipt.amount, receipt.sig)
  }

  /**
   * A checked receipt is being stored. Until it is done (`commit`, or `storeFailed`), the payer is not choked: the
   * receipt may pay for what it was served, and a choke throws its request queue away. Nothing more is served on
   * account of it meanwhile (`mayServe` counts only receipts committed).
   */
  storingReceipt (): void {
    this.storing++
    this.waiting = false
  }

  /** A receipt begun with `storingReceipt` could not be stored: it never counts. */
  storeFailed (): 'choked' | null {
    this.storing = Math.max(0, this.storing - 1)
    return this.updateChoke(false) === 'choked' ? 'choked' : null
  }

  /** The wait for a receipt (`onServed` or `commit` said 'waiting') is over without one: choked if still owing. */
  endWait (): 'choked' | null {
    if (!this.waiting) return null
    this.waiting = false
    return this.updateChoke(false) === 'choked' ? 'choked' : null
  }

  /** Whether the choke decision waits: for a checked receipt being stored, or for one on its way. */
  get settling (): boolean { return this.storing > 0 || this.waiting }

  /**
   * Makes a checked (and durably stored) receipt the newest; it ends one `storingReceipt`, if any.
   * @returns 'unchoked' if it lifted the choke; 'waiting' if the payer is still at its credit and waits for its
   * next receipt; 'choked' if it is choked now (a choke that waited for it)
   */
  commit (receipt: SignedReceipt): 'unchoked' | 'waiting' | 'choked' | null {
    const step = receipt.bytes - (this.heldReceipt?.bytes ?? 0n)
    this.shortStepsInARow = this.isShortStep(step, receipt.bytes) ? this.shortStepsInARow + 1 : 0
    this.heldReceipt = receipt
    this.storing = Math.max(0, this.storing - 1)
    return this.updateChoke(true)
  }

  /** Less than a block while more was served: a torrent's short last piece, or a flood (see above). */
  private isShortStep (step: bigint, bytes: bigint): boolean {
    return step < this.minStep && bytes < this.servedBytes
  }

  /**
   * @param mayWait whether a payer reaching its credit may wait for a receipt on its way instead of being choked:
   * a paying payer's next receipt is usually milliseconds behind (its window leaves the other half of the credit
   * for receipts in flight, and a payee's own slow write can fill that half), while a choke throws its whole
   * request queue away. Nothing more is served while it waits (`mayServe`), so the loss bound is the same.
   */
  private updateChoke (mayWait: boolean): 'choked' | 'unchoked' | 'waiting' | null {
    const next = this.policy.choked(this.unpaid, this.isChoked, this.blockLength, this.grantedCredit)
    if (!next) this.waiting = false
    if (next === this.isChoked) return null
    if (next && (this.storing > 0 || this.waiting)) return null // decided once the receipt being stored counts, or the wait ends
    if (next && mayWait) {
      this.waiting = true
      return 'waiting'
    }
    this.isChoked = next
    return next ? 'choked' : 'unchoked'
  }
}
