/** The MSE Diffie-Hellman exchange: 768-bit group of the spec, fixed-width 96-byte keys. */
import { createDiffieHellman, createHash } from 'node:crypto'
import { DH_GENERATOR, DH_KEY_BYTES, DH_PRIME_HEX } from './constants.ts'

const PRIME = Buffer.from(DH_PRIME_HEX, 'hex')

/** Left-pads to 96 bytes: OpenSSL drops leading zero bytes, the spec sends fixed-width numbers. */
function fixed (b: Buffer): Buffer {
  if (b.length === DH_KEY_BYTES) return b
  const out = Buffer.alloc(DH_KEY_BYTES)
  b.copy(out, DH_KEY_BYTES - b.length)
  return out
}

export class DhKeys {
  private readonly dh = createDiffieHellman(PRIME, DH_GENERATOR)
  /** Our public key Y, 96 bytes. */
  readonly publicKey: Buffer

  constructor () {
    // The spec asks for a private key of at least 128 bits; OpenSSL picks one as long as the prime.
    this.publicKey = fixed(this.dh.generateKeys())
  }

  /** S from the peer's public key; throws (OpenSSL) for a key that is not a valid group element. */
  secret (peerPublic: Buffer): Buffer {
    return fixed(this.dh.computeSecret(peerPublic))
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
