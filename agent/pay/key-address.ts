/**
 * A private key's address, through native libsecp256k1. ethers' `computeAddress` and `new Wallet` derive the public
 * key in pure JS (noble), whose first use builds its base-point tables: ~50 ms of a paid `seedpay get`'s ~0.5 s
 * start-up, measured in a CPU profile, paid again by every process (and inside a running payee at its first
 * settlement if left lazy). The address is the last 20 bytes of keccak-256 of the uncompressed key without its
 * 0x04 prefix, as Ethereum and TRON both define it.
 */
import { getBytes } from 'ethers'
import { keccak256 } from './keccak.ts'
import { toAddress, type Address } from './bytes.ts'
import { nativeSecp256k1 } from './secp256k1.ts'

/** The address of a 0x-hex (or raw) private key; throws RangeError for zero or a value at or above the curve order. */
export function addressOfKey (privateKey: string | Uint8Array): Address {
  const secret = typeof privateKey === 'string' ? getBytes(privateKey) : privateKey
  const native = nativeSecp256k1()
  let pub: Uint8Array
  try {
    pub = native.publicKeyCreate(secret, false)
  } catch (err) {
    throw new RangeError('not a valid secp256k1 private key (zero or out of range)', { cause: err })
  }
  const hash = keccak256(pub.subarray(1))
  return toAddress('0x' + Buffer.from(hash.subarray(12)).toString('hex'))
}
