/**
 * TRON addresses: the same 20 bytes as an EVM address, shown as base58check of `0x41 ‖ address`
 * (`T...`, 34 characters) or as 21-byte hex with the `41` prefix. TVM's `address` is the 20 bytes, so ABI
 * encoding, typed data and ecrecover see 0x-hex; only the node's API and humans see base58.
 */
import { createHash } from 'node:crypto'
import { decodeBase58, encodeBase58, getAddress, getBytes, hexlify, isHexString, toBeHex } from 'ethers'
import { InvalidAddressError } from './errors.ts'

const PREFIX = 0x41

function sha256 (data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest()
}

function checksum (payload: Uint8Array): Uint8Array {
  return sha256(sha256(payload)).subarray(0, 4)
}

/** 0x-hex (checksummed) → base58 `T...`. */
export function toTronAddress (address: string): string {
  const evm = toEvmAddress(address)
  const payload = new Uint8Array(21)
  payload[0] = PREFIX
  payload.set(getBytes(evm), 1)
  const full = new Uint8Array(25)
  full.set(payload)
  full.set(checksum(payload), 21)
  return encodeBase58(full)
}

/** 21-byte hex with the 41 prefix, no 0x: the form TRON's HTTP API takes with `visible: false`. */
export function toTronHex (address: string): string {
  return '41' + toEvmAddress(address).slice(2).toLowerCase()
}

function fromBase58 (address: string): string {
  let n: bigint
  try {
    n = decodeBase58(address)
  } catch {
    throw new InvalidAddressError(address, 'not base58')
  }
  // TRON addresses are 25 bytes; leading zero bytes cannot occur because the first byte is 0x41.
  const hex = toBeHex(n)
  const bytes = getBytes(hex)
  if (bytes.length !== 25) throw new InvalidAddressError(address, `decodes to ${bytes.length} bytes, expected 25`)
  const payload = bytes.subarray(0, 21)
  if (payload[0] !== PREFIX) throw new InvalidAddressError(address, 'does not start with the 0x41 TRON prefix')
  const sum = checksum(payload)
  if (!sum.every((b, i) => b === bytes[21 + i])) throw new InvalidAddressError(address, 'bad base58check checksum')
  return getAddress(hexlify(payload.subarray(1)))
}

/**
 * Any accepted form → 0x-hex checksummed: base58 `T...`, `41`+40 hex, `0x41`+40 hex, or 0x+40 hex.
 * Throws InvalidAddressError otherwise (including a mixed-case 0x address with a wrong EIP-55 checksum).
 */
export function toEvmAddress (address: string): string {
  if (typeof address !== 'string') throw new InvalidAddressError(String(address), 'not a string')
  if (/^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(address)) return fromBase58(address)
  if (/^(0x)?41[0-9a-fA-F]{40}$/.test(address)) return getAddress('0x' + address.replace(/^0x/, '').slice(2))
  if (isHexString(address, 20)) {
    try {
      return getAddress(address)
    } catch {
      throw new InvalidAddressError(address, 'bad EIP-55 checksum')
    }
  }
  throw new InvalidAddressError(address, 'expected base58 T..., 41-hex or 0x-hex')
}

export function isTronAddress (address: string): boolean {
  try {
    toEvmAddress(address)
    return true
  } catch {
    return false
  }
}
