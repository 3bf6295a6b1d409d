/**
 * The native libsecp256k1 binding (npm `secp256k1` 5.0.2): ~17,500 public-key recoveries/s against ~520/s
 * for ethers' pure-JS path, and signatures ~10x faster than ethers' (noble) SigningKey. There is deliberately no fallback: a silent 30x slowdown would let a peer
 * flood us with receipts, so a missing binding is an error at first use.
 */
import { createRequire } from 'node:module'
import { NativeSecp256k1UnavailableError } from './errors.ts'

export interface Secp256k1 {
  /** RFC 6979 deterministic nonce and low-s, as ethers' SigningKey: the same key and digest give the same bytes. */
  ecdsaSign: (msg32: Uint8Array, seckey: Uint8Array) => { signature: Uint8Array, recid: number }
  ecdsaRecover: (sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean, output?: Uint8Array) => Uint8Array
  publicKeyCreate: (seckey: Uint8Array, compressed: boolean) => Uint8Array
}

let loaded: Secp256k1 | null = null

/** Loads the native binding once; throws NativeSecp256k1UnavailableError if it cannot. */
export function nativeSecp256k1 (): Secp256k1 {
  if (loaded !== null) return loaded
  try {
    loaded = createRequire(import.meta.url)('secp256k1/bindings') as Secp256k1
  } catch (err) {
    throw new NativeSecp256k1UnavailableError(err)
  }
  return loaded
}
