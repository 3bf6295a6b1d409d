/** The MSE Diffie-Hellman exchange: 768-bit group of the spec, fixed-width 96-byte keys. */
import { createHash, randomBytes } from 'node:crypto'
import { DH_GENERATOR, DH_KEY_BYTES, DH_PRIME_HEX } from './constants.ts'

const P = BigInt('0x' + DH_PRIME_HEX)
const G = BigInt(DH_GENERATOR)
/**
 * Xa, Xb: 160 bits. The spec asks for at least 128 and says anything past 180 adds no security, only work. The peer
 * never sees it (libtorrent and Transmission interoperate: test/interop/encryption.test.ts).
 */
export const DH_PRIVATE_KEY_BYTES = 20

/**
 * base^exp mod P, square-and-multiply on BigInt: ~0.3 ms for a 160-bit exponent. Not node:crypto's DiffieHellman:
 * making one runs OpenSSL's DH_check, a primality test of the prime (~21 ms here; `getDiffieHellman('modp1')` costs
 * the same), and a `get` pays it at its first connection, on the path to its first block, and a fresh seeder
 * again at the other end (docs/benchmarks.md, "MSE without OpenSSL's prime check"). The time it takes depends on
 * the exponent's bits; MSE is obfuscation (its spec says so), its secret guards nothing a timing attack could win.
 */
function modPow (base: bigint, exp: bigint): bigint {
  let result = 1n
  let b = base % P
  for (let e = exp; e > 0n; e >>= 1n) {
    if ((e & 1n) === 1n) result = result * b % P
    b = b * b % P
  }
  return result
}

function toFixed (n: bigint): Buffer {
  return Buffer.from(n.toString(16).padStart(DH_KEY_BYTES * 2, '0'), 'hex')
}

export class DhKeys {
  private readonly privateKey = BigInt('0x' + randomBytes(DH_PRIVATE_KEY_BYTES).toString('hex'))
  /** Our public key Y = 2^X mod P, 96 bytes, big-endian, left-padded (the spec sends fixed-width numbers). */
  readonly publicKey: Buffer = toFixed(modPow(G, this.privateKey))

  /**
   * S from the peer's public key. Throws for a key that is not a group element other than ±1 (OpenSSL's
   * DH_check_pub_key: 1 < Y < P − 1), whose secret an eavesdropper would know.
   */
  secret (peerPublic: Buffer): Buffer {
    if (peerPublic.length !== DH_KEY_BYTES) throw new RangeError(`public key is ${peerPublic.length} bytes, not ${DH_KEY_BYTES}`)
    const y = BigInt('0x' + peerPublic.toString('hex'))
    if (y <= 1n || y >= P - 1n) throw new RangeError('public key is not in 2 … P − 2')
    return toFixed(modPow(y, this.privateKey))
  }
}

/** SHA-1 of the concatenation: the spec's HASH(). */
export function hash (...parts: Uint8Array[]): Buffer {
  const h = createHash('sha1')
  for (const p of parts) h.update(p)
  return h.digest()
}

/** HASH('req2', SKEY): what the responder matches (after xor with HASH('req3', S)) to find the torrent. */
export function req2Hash (infoHash: string): Buffer {
  return hash(Buffer.from('req2'), Buffer.from(infoHash, 'hex'))
}
