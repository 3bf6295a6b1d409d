/**
 * A payer's view of one channel during a session: verified bytes received from the payee and the receipts
 * signed for them. Pure state: the caller writes each new receipt to the ledger before sending it.
 */
import { amountFor, MAX_RECEIPT_BYTES, MIB } from './price.ts'
import { addressToBytes, type Address } from './bytes.ts'
import { ForeignResyncReceiptError, ReceiptOutOfRangeError } from './errors.ts'
import type { ReceiptSigner } from './signer.ts'
import type { ReceiptVerifier } from './verifier.ts'
import type { SignedReceipt } from './receipt.ts'

export interface PayerChannelComponents {
  signer: ReceiptSigner
  verifier: ReceiptVerifier
}

export interface PayerChannelInit {
  payer: Address
  payee: Address
  /** The payee's price for this session, token base units per MiB. */
  pricePerMiB: bigint
  /** Our newest receipt on this channel (from the ledger). @default none */
  newest?: SignedReceipt | null
}

export class PayerChannel {
  readonly payer: Address
  readonly payee: Address
  readonly pricePerMiB: bigint
  private baseBytes: bigint
  private baseAmount: bigint
  private receivedBytes: bigint
  private newestReceipt: SignedReceipt | null
  /** Bytes of the newest receipt handed to the payee's connection (signed receipts wait for their durable write). */
  private sentBytes: bigint
  private readonly payerBytes: Uint8Array
  private readonly payeeBytes: Uint8Array
  private readonly signer: ReceiptSigner
  private readonly verifier: ReceiptVerifier

  constructor (components: PayerChannelComponents, init: PayerChannelInit) {
    this.signer = components.signer
    this.verifier = components.verifier
    this.payer = init.payer
    this.payee = init.payee
    this.pricePerMiB = init.pricePerMiB
    this.payerBytes = addressToBytes(init.payer)
    this.payeeBytes = addressToBytes(init.payee)
    this.newestReceipt = init.newest ?? null
    this.baseBytes = this.newestReceipt?.bytes ?? 0n
    this.baseAmount = this.newestReceipt?.amount ?? 0n
    this.receivedBytes = this.baseBytes
    this.sentBytes = this.baseBytes
  }

  get newest (): SignedReceipt | null { return this.newestReceipt }
  /** Cumulative verified bytes received on this channel. */
  get received (): bigint { return this.receivedBytes }
  /** Verified bytes not yet covered by a signed receipt. */
  get owed (): bigint { return this.receivedBytes - (this.newestReceipt?.bytes ?? 0n) }
  /**
   * Verified bytes the payee has no receipt for on its way: `owed` plus what signed receipts still being stored
   * cover. What the payee sees us owing, so what our requests must stay within (agent.ts downloadPolicy).
   */
  get unsent (): bigint { return this.receivedBytes > this.sentBytes ? this.receivedBytes - this.sentBytes : 0n }

  /**
   * Adopts the payee's `hello.last` if it is ours and newer than what we hold (we lost state).
   * @returns true if adopted; throws ForeignResyncReceiptError if someone else signed it
   */
  resync (last: SignedReceipt): boolean {
    const recovered = this.verifier.recover(this.payerBytes, this.payeeBytes, last.bytes, last.amount, last.sig)
    const ours = [this.payer, this.signer.address]
    if (!ours.includes(recovered) && !this.verifier.mayHaveSigned(this.payer, recovered)) {
      throw new ForeignResyncReceiptError(recovered, ours)
    }
    const held = this.newestReceipt
    if (held !== null && last.bytes <= held.bytes && last.amount <= held.amount) return false
    this.newestReceipt = last
    this.baseBytes = last.bytes
    this.baseAmount = last.amount
    if (this.receivedBytes < last.bytes) this.receivedBytes = last.bytes
    if (this.sentBytes < last.bytes) this.sentBytes = last.bytes
    return true
  }

  /** Counts `length` verified bytes received from the payee. */
  onVerified (length: number): void {
    this.receivedBytes += BigInt(length)
  }

  /**
   * Signs the receipt covering all verified bytes, or as many as `maxStep` more token units pay for (the payer's
   * budget headroom: an honest payer never signs what it cannot pay); null if nothing new can be signed.
   * Call `commit` once stored.
   */
  next (maxStep?: bigint): SignedReceipt | null {
    if (this.owed <= 0n) return null
    const bytes = this.affordableBytes(maxStep)
    if (bytes <= (this.newestReceipt?.bytes ?? this.baseBytes)) return null
    if (bytes > MAX_RECEIPT_BYTES) throw new ReceiptOutOfRangeError('bytes', bytes)
    const amount = this.baseAmount + amountFor(bytes - this.baseBytes, this.pricePerMiB)
    const digest = this.verifier.hasher.digest(this.payerBytes, this.payeeBytes, bytes, amount)
    return { bytes, amount, sig: this.signer.signDigest(digest) }
  }

  /**
   * The cumulative bytes a receipt may cover: all received, or fewer when `maxStep` does not pay for them all.
   * amountFor rounds up, so the largest x with amountFor(x) ≤ A is floor(A · MiB / price).
   */
  private affordableBytes (maxStep: bigint | undefined): bigint {
    const all = this.receivedBytes
    if (maxStep === undefined || this.pricePerMiB === 0n) return all
    const newestAmount = this.newestReceipt?.amount ?? this.baseAmount
    const limit = newestAmount - this.baseAmount + (maxStep > 0n ? maxStep : 0n)
    const bytes = this.baseBytes + limit * MIB / this.pricePerMiB
    return bytes < all ? bytes : all
  }

  /** Makes a signed (and durably stored) receipt the newest. */
  commit (receipt: SignedReceipt): void {
    this.newestReceipt = receipt
  }

  /** A committed receipt, now stored, was handed to the payee's connection. */
  sent (receipt: SignedReceipt): void {
    if (receipt.bytes > this.sentBytes) this.sentBytes = receipt.bytes
  }
}
