/**
 * settleBatch's packed calldata and BatchSettled's records: the one place that knows both layouts.
 *
 * Entry (BATCH_ENTRY_SIZE = 108 bytes, no padding; contracts/libraries/BatchEntry.sol):
 *   payer (20) ‖ cumulativeBytes uint64 (8) ‖ cumulativeAmount uint128 (16) ‖ r (32) ‖ vs (32)
 * where `vs` is the EIP-2098 compact form: yParity in the top bit, `s` below it.
 * Record (BatchSettled `records`, 60 bytes per settled entry, no padding):
 *   payer (20) ‖ cumulativeBytes uint64 (8) ‖ cumulativeAmount uint128 (16) ‖ paid uint128 (16)
 * Reserve entry (`reserve(entries)`, RESERVE_ENTRY_SIZE = 36 bytes, no padding; contracts/libraries/ReserveEntry.sol):
 *   payee (20) ‖ amount uint128 (16)
 */
import { getAddress, getBytes, hexlify, toBeHex, zeroPadValue } from 'ethers'
import { isHighS } from '../pay/verifier.ts'
import type { ReserveEntry, SignedReceipt } from './client.ts'
import { MalformedSignatureError, ValueOutOfRangeError, BatchSizeError } from './errors.ts'
import { MAX_BATCH_SIZE } from './batch-size.ts'

export { MAX_BATCH_SIZE }

/** Bytes per packed entry; equals the contract's BATCH_ENTRY_SIZE (checked in test/agent/chain). */
export const BATCH_ENTRY_SIZE = 108

const UINT64_MAX = (1n << 64n) - 1n
const UINT128_MAX = (1n << 128n) - 1n

export interface CompactSignature {
  r: string
  /** yParity << 255 | s */
  vs: string
}

export interface BatchEntryFields {
  payer: string
  cumulativeBytes: bigint
  cumulativeAmount: bigint
  r: string
  vs: string
}

export interface BatchRecord {
  payer: string
  cumulativeBytes: bigint
  paid: bigint
  cumulativeAmount: bigint
}

export function checkUint (field: string, value: bigint, bits: number): bigint {
  if (value < 0n || value > (1n << BigInt(bits)) - 1n) throw new ValueOutOfRangeError(field, value, bits)
  return value
}

/** Converts a 65-byte r‖s‖v (v 27/28 or 0/1) or 64-byte r‖vs signature to EIP-2098 r‖vs; rejects high s. */
export function toCompactSignature (signature: string): CompactSignature {
  let bytes: Uint8Array
  try {
    bytes = getBytes(signature)
  } catch {
    throw new MalformedSignatureError(signature, 'not hex')
  }
  if (bytes.length !== 65 && bytes.length !== 64) throw new MalformedSignatureError(signature, `length ${bytes.length}, expected 65 or 64`)
  const r = BigInt(hexlify(bytes.subarray(0, 32)))
  let s: bigint
  let yParity: bigint
  if (bytes.length === 65) {
    const v = bytes[64]!
    if (![0, 1, 27, 28].includes(v)) throw new MalformedSignatureError(signature, `v = ${v}`)
    s = BigInt(hexlify(bytes.subarray(32, 64)))
    yParity = BigInt(v >= 27 ? v - 27 : v)
  } else {
    const vs = BigInt(hexlify(bytes.subarray(32, 64)))
    yParity = vs >> 255n
    s = vs & ((1n << 255n) - 1n)
  }
  if (r === 0n || s === 0n) throw new MalformedSignatureError(signature, 'r or s is zero')
  if (isHighS(getBytes(toBeHex(s, 32)))) throw new MalformedSignatureError(signature, 's is in the upper half of the curve order (malleable)')
  return { r: toBeHex(r, 32), vs: toBeHex((yParity << 255n) | s, 32) }
}

/** Packs one entry (108 bytes). The receipt's payee is not in the entry: the batch names it once. */
export function encodeBatchEntry (entry: SignedReceipt): Uint8Array {
  const { receipt } = entry
  const out = new Uint8Array(BATCH_ENTRY_SIZE)
  out.set(getBytes(getAddress(receipt.payer)), 0)
  out.set(getBytes(toBeHex(checkUint('cumulativeBytes', receipt.cumulativeBytes, 64), 8)), 20)
  out.set(getBytes(toBeHex(checkUint('cumulativeAmount', receipt.cumulativeAmount, 128), 16)), 28)
  const { r, vs } = toCompactSignature(entry.signature)
  out.set(getBytes(r), 44)
  out.set(getBytes(vs), 76)
  return out
}

/** Packs a whole batch as 0x-hex calldata for `settleBatch(payee, entries)`. */
export function encodeBatch (entries: readonly SignedReceipt[]): string {
  if (entries.length === 0 || entries.length > MAX_BATCH_SIZE) throw new BatchSizeError(entries.length, MAX_BATCH_SIZE)
  const out = new Uint8Array(entries.length * BATCH_ENTRY_SIZE)
  entries.forEach((e, i) => { out.set(encodeBatchEntry(e), i * BATCH_ENTRY_SIZE) })
  return hexlify(out)
}

/** Unpacks batch calldata (the inverse of `encodeBatch`); for tests, tooling and audits of sent batches. */
export function decodeBatch (entries: string): BatchEntryFields[] {
  const bytes = getBytes(entries)
  if (bytes.length % BATCH_ENTRY_SIZE !== 0) throw new RangeError(`batch of ${bytes.length} bytes is not a multiple of ${BATCH_ENTRY_SIZE}`)
  const out: BatchEntryFields[] = []
  for (let o = 0; o < bytes.length; o += BATCH_ENTRY_SIZE) {
    out.push({
      payer: getAddress(hexlify(bytes.subarray(o, o + 20))),
      cumulativeBytes: BigInt(hexlify(bytes.subarray(o + 20, o + 28))),
      cumulativeAmount: BigInt(hexlify(bytes.subarray(o + 28, o + 44))),
      r: hexlify(bytes.subarray(o + 44, o + 76)),
      vs: hexlify(bytes.subarray(o + 76, o + 108))
    })
  }
  return out
}

/** Bytes per BatchSettled record; equals the contract's RECORD_SIZE. */
export const BATCH_RECORD_SIZE = 60

/** Decodes BatchSettled's `records`: `payer (20) ‖ cumulativeBytes (8) ‖ cumulativeAmount (16) ‖ paid (16)` each. */
export function decodeBatchRecords (records: string | Uint8Array): BatchRecord[] {
  const bytes = typeof records === 'string' ? getBytes(records) : records
  if (bytes.length % BATCH_RECORD_SIZE !== 0) {
    throw new RangeError(`BatchSettled records are ${bytes.length} bytes, not a multiple of ${BATCH_RECORD_SIZE}`)
  }
  const out: BatchRecord[] = []
  for (let o = 0; o < bytes.length; o += BATCH_RECORD_SIZE) {
    out.push({
      payer: getAddress(hexlify(bytes.subarray(o, o + 20))),
      cumulativeBytes: BigInt(hexlify(bytes.subarray(o + 20, o + 28))),
      cumulativeAmount: BigInt(hexlify(bytes.subarray(o + 28, o + 44))),
      paid: BigInt(hexlify(bytes.subarray(o + 44, o + 60)))
    })
  }
  return out
}

/** Encodes records the way the contract does (tests and fixtures). */
export function encodeBatchRecords (records: readonly BatchRecord[]): string {
  return '0x' + records.map(r => [
    zeroPadValue(getAddress(r.payer), 20),
    zeroPadValue(toBeHex(checkUint('cumulativeBytes', r.cumulativeBytes, 64)), 8),
    zeroPadValue(toBeHex(checkUint('cumulativeAmount', r.cumulativeAmount, 128)), 16),
    zeroPadValue(toBeHex(checkUint('paid', r.paid, 128)), 16)
  ].map(h => h.slice(2)).join('')).join('')
}

/** Bytes per packed `reserve` entry; equals the contract's RESERVE_ENTRY_SIZE (checked in test/agent/chain). */
export const RESERVE_ENTRY_SIZE = 36

/**
 * Packs `reserve(entries)`'s calldata: `payee (20) ‖ amount uint128 (16)` per entry, 1 to MAX_BATCH_SIZE entries.
 * Payees are 0x-hex here (EscrowContractClient converts TRON forms first). Zero amounts and payees are left to
 * the contract, which names them in its revert (ZeroAmount, ZeroAddress, SelfPayment).
 */
export function encodeReserveEntries (entries: readonly ReserveEntry[]): string {
  if (entries.length === 0 || entries.length > MAX_BATCH_SIZE) throw new BatchSizeError(entries.length, MAX_BATCH_SIZE)
  const out = new Uint8Array(entries.length * RESERVE_ENTRY_SIZE)
  entries.forEach((e, i) => {
    const o = i * RESERVE_ENTRY_SIZE
    out.set(getBytes(getAddress(e.payee)), o)
    out.set(getBytes(toBeHex(checkUint('amount', e.amount, 128), 16)), o + 20)
  })
  return hexlify(out)
}

/** Unpacks `reserve` calldata (the inverse of `encodeReserveEntries`); for tests and tooling. */
export function decodeReserveEntries (entries: string): ReserveEntry[] {
  const bytes = getBytes(entries)
  if (bytes.length % RESERVE_ENTRY_SIZE !== 0) throw new RangeError(`reserve entries of ${bytes.length} bytes are not a multiple of ${RESERVE_ENTRY_SIZE}`)
  const out: ReserveEntry[] = []
  for (let o = 0; o < bytes.length; o += RESERVE_ENTRY_SIZE) {
    out.push({ payee: getAddress(hexlify(bytes.subarray(o, o + 20))), amount: BigInt(hexlify(bytes.subarray(o + 20, o + 36))) })
  }
  return out
}

export { UINT64_MAX, UINT128_MAX }
