/**
 * Prices and amounts. Prices are token base units per MiB; amounts are bigints in token base units.
 * Both sides of a channel use this one function, so they always agree on what is owed.
 */
import { InvalidAmountError } from './errors.ts'

/** Prices are quoted per MiB (2^20 bytes), the unit BitTorrent clients show rates in. */
export const MIB = 1n << 20n
/** BEP 3 / common practice: a request asks for 16 KiB; what one served block costs is priced at this size. */
export const BLOCK_LENGTH = 16 * 1024
/** settleBatch packs cumulativeBytes as uint64 (contracts/libraries/BatchEntry.sol). */
export const MAX_RECEIPT_BYTES = (1n << 64n) - 1n
/** settleBatch packs cumulativeAmount as uint128; BTT's whole supply (~9.9e32 base units) fits. */
export const MAX_RECEIPT_AMOUNT = (1n << 128n) - 1n
/** A price above uint128 could only produce amounts the escrow cannot settle. */
export const MAX_PRICE = MAX_RECEIPT_AMOUNT

/**
 * What `bytes` cost at `pricePerMiB`, rounded up: the payee never gets less than the exact value, the payer
 * overpays by less than one base unit.
 */
export function amountFor (bytes: bigint, pricePerMiB: bigint): bigint {
  if (bytes < 0n) throw new InvalidAmountError('bytes', bytes)
  if (pricePerMiB < 0n) throw new InvalidAmountError('pricePerMiB', pricePerMiB)
  return (bytes * pricePerMiB + MIB - 1n) / MIB
}
