/** The MSE Diffie-Hellman exchange: 768-bit group of the spec, fixed-width 96-byte keys. */
import { createDiffieHellman, createHash, randomBytes, type DiffieHellman } from 'node:crypto'
import { DH_GENERATOR, DH_KEY_BYTES, DH_PRIME_HEX } from './constants.ts'

const PRIME = Buffer.from(DH_PRIME_HEX, 'hex')
/**
 * Xa, Xb: 160 bits. The spec asks for at least 128 and says anything past 180 adds no security, only work. The peer
 * never sees it (libtorrent and Transmission interoperate: test/interop/encryption.test.ts).
 */
export const DH_PRIVATE_KEY_BYTES = 20

/**
 * One DiffieHellman object for the process. Making one checks the prime (OpenSSL's DH_check, a primality test:
 * ~22 ms here, and `getDiffieHellman('modp1')` costs the same). That was 0.9 s of a leecher's 7 s of CPU in a
 * swarm of 5. Each handshake keeps its own private key and sets it on the object right before each synchronous use; the
 * object holds no state between those calls that a handshake relies on.
 */
let group: DiffieHellman | undefined
function dhGroup (): DiffieHellman {
  group ??= createDiffieHellman(PRIME, DH_GENERATOR)
  return group
}

/** Left-pads to 96 bytes: OpenSSL drops leading zero bytes, the spec sends fixed-width numbers. */
function fixed (b: Buffer): Buffer {
  if (b.length === DH_KEY_BYTES) return b
  const out = Buffer.alloc(DH_KEY_BYTES)
  b.copy(out, DH_KEY_BYTES - b.length)
  return out
}

export class DhKeys {
  private readonly privateKey = randomBytes(DH_PRIVATE_KEY_BYTES)
  /** Our public key Y = 2^X mod P, 96 bytes. */
  readonly publicKey: Buffer

  constructor () {
    const dh = dhGroup()
    dh.setPrivateKey(this.privateKey)
    // OpenSSL derives the public key from the private key set (it makes one only when there is none)
    this.publicKey = fixed(dh.generateKeys())
  }

  /** S from the peer's public key; throws (OpenSSL) for a key that is not a valid group element. */
  secret (peerPublic: Buffer): Buffer {
    const dh = dhGroup()
    dh.setPrivateKey(this.privateKey)
    return fixed(dh.computeSecret(peerPublic))
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
