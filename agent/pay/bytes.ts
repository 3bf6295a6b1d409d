/** Byte helpers shared by pay and wire: addresses as 20 bytes, uints as big-endian bytes. */
import { InvalidAmountError } from './errors.ts'

/** A 0x-prefixed, lowercase, 40-hex-digit address: the one textual form used across the agent. */
export type Address = `0x${string}`

const HEX = /^0x[0-9a-fA-F]{40}$/

export function isAddress (value: string): value is Address {
  return HEX.test(value)
}

/** Normalises any 0x address (any case) to lowercase. */
export function toAddress (value: string): Address {
  if (!HEX.test(value)) throw new TypeError(`not a 20-byte 0x address: ${value}`)
  return value.toLowerCase() as Address
}

export function addressToBytes (address: string): Uint8Array {
  return Buffer.from(toAddress(address).slice(2), 'hex')
}

export function bytesToAddress (bytes: Uint8Array): Address {
  if (bytes.length !== 20) throw new TypeError(`address must be 20 bytes, got ${bytes.length}`)
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, 20).toString('hex')}`
}

/** Writes `value` as a 32-byte big-endian word into `out` at `offset`. */
export function writeUint256 (out: Uint8Array, offset: number, value: bigint): void {
  if (value < 0n || value >> 256n !== 0n) throw new InvalidAmountError('uint256', value)
  const view = new DataView(out.buffer, out.byteOffset + offset, 32)
  view.setBigUint64(0, value >> 192n)
  view.setBigUint64(8, BigInt.asUintN(64, value >> 128n))
  view.setBigUint64(16, BigInt.asUintN(64, value >> 64n))
  view.setBigUint64(24, BigInt.asUintN(64, value))
}

/** Canonical big-endian bytes of an unsigned integer: no leading zero byte, zero is empty. */
export function uintToBytes (value: bigint): Uint8Array {
  if (value < 0n) throw new InvalidAmountError('uint', value)
  if (value === 0n) return new Uint8Array(0)
  let hex = value.toString(16)
  if (hex.length % 2 === 1) hex = '0' + hex
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** Reads big-endian bytes as an unsigned integer (the caller checks canonical form). */
export function bytesToUint (bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n
  return BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex'))
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b)
}
