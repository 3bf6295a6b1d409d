/** Errors of the payment core. Each carries the values that explain it. */
import { bttText, priceText } from './btt.ts'

/** The native secp256k1 binding could not be loaded; verification would be ~30x slower, so we refuse. */
export class NativeSecp256k1UnavailableError extends Error {
  constructor (override readonly cause: unknown) {
    super(`native secp256k1 binding failed to load (${String(cause)}): rebuild it with \`npm rebuild secp256k1\``)
    this.name = 'NativeSecp256k1UnavailableError'
  }
}

/** A value was negative or does not fit its wire or contract width. */
export class InvalidAmountError extends Error {
  constructor (readonly field: string, readonly value: bigint, readonly max?: bigint) {
    super(`${field} ${value} is out of range${max !== undefined ? ` [0, ${max}]` : ''}`)
    this.name = 'InvalidAmountError'
  }
}

/** Why a receipt was refused; `code` is what the wire reports to the peer. */
export type ReceiptRefusal = 'bad-signature' | 'unauthorised-signer' | 'stale' | 'underpaid' | 'out-of-range' | 'dust'

/** Base class of every refused receipt. */
export class InvalidReceiptError extends Error {
  constructor (readonly refusal: ReceiptRefusal, message: string) {
    super(message)
    this.name = 'InvalidReceiptError'
  }
}

/** The signature is malformed (not 64 bytes, high s, r or s out of range) or recovers to no key. */
export class InvalidSignatureError extends InvalidReceiptError {
  constructor (readonly reason: string) {
    super('bad-signature', `invalid receipt signature: ${reason}`)
    this.name = 'InvalidSignatureError'
  }
}

/** The signature is valid but by a key that may not sign for this payer (forged, or another domain). */
export class UnauthorisedSignerError extends InvalidReceiptError {
  constructor (readonly payer: string, readonly recovered: string) {
    super('unauthorised-signer', `receipt for payer ${payer} signed by ${recovered}, not the payer or its signer`)
    this.name = 'UnauthorisedSignerError'
  }
}

/** The receipt's cumulative bytes or amount is below (or equal to) what the channel already holds. */
export class StaleReceiptError extends InvalidReceiptError {
  constructor (
    readonly held: { bytes: bigint, amount: bigint },
    readonly got: { bytes: bigint, amount: bigint }
  ) {
    super('stale', `receipt (${got.bytes} B, ${bttText(got.amount)}) does not advance the held one (${held.bytes} B, ${bttText(held.amount)})`)
    this.name = 'StaleReceiptError'
  }
}

/** The receipt's amount is below price × bytes at the agreed price. */
export class UnderpaidReceiptError extends InvalidReceiptError {
  constructor (readonly bytes: bigint, readonly amount: bigint, readonly owed: bigint, readonly pricePerMiB: bigint) {
    super('underpaid', `receipt pays ${bttText(amount)} for ${bytes} B, owed ${bttText(owed)} at ${priceText(pricePerMiB)}`)
    this.name = 'UnderpaidReceiptError'
  }
}

/**
 * The receipt advances the channel by too few bytes while more were served: each one costs the payee a
 * verification and a durable write, so a payer may not pay in crumbs.
 */
export class DustReceiptError extends InvalidReceiptError {
  constructor (readonly step: bigint, readonly minStep: bigint, readonly served: bigint) {
    super('dust', `receipt advances ${step} B (< ${minStep} B) while ${served} B were served`)
    this.name = 'DustReceiptError'
  }
}

/** A receipt's value exceeds the widths settleBatch packs (bytes uint64, amount uint128). */
export class ReceiptOutOfRangeError extends InvalidReceiptError {
  constructor (readonly field: 'bytes' | 'amount', readonly value: bigint) {
    super('out-of-range', `receipt ${field} ${value} exceeds the settleBatch width`)
    this.name = 'ReceiptOutOfRangeError'
  }
}

/** The payee's terms are unacceptable to the payer. */
export class TermsRefusedError extends Error {
  constructor (readonly reason: 'price' | 'chain' | 'escrow' | 'self' | 'payee-address', message: string) {
    super(message)
    this.name = 'TermsRefusedError'
  }
}

/** `hello.last` is not a receipt this payer signed for this channel. */
export class ForeignResyncReceiptError extends Error {
  constructor (readonly recovered: string, readonly expected: readonly string[]) {
    super(`resync receipt recovers to ${recovered}, not one of our keys ${expected.join(', ')}`)
    this.name = 'ForeignResyncReceiptError'
  }
}

/**
 * A hello's proof does not show that its sender speaks for `hello.acct`: malformed (high `s`, no key
 * recovers) or signed by a key that is neither the account nor its registered signer, or for other peer ids,
 * another torrent, chain or escrow (which all recover to some other key). `recovered` is null if none.
 */
export class InvalidHelloProofError extends Error {
  constructor (readonly account: string, readonly recovered: string | null, readonly reason: string) {
    super(`hello proof for account ${account} ${reason}`)
    this.name = 'InvalidHelloProofError'
  }
}
