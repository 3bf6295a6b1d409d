/**
 * Recovers who signed a receipt with native libsecp256k1 and checks the signer may sign for the payer.
 * Mirrors the contract's `_recoverStrict`: 64-byte EIP-2098 signatures only on the wire, `s` in the lower
 * half of the curve order, recovered key must be the payer or a signer the payer registered.
 */
import { ReceiptHasher } from './digest.ts'
import { keccak256 } from './keccak.ts'
import { nativeSecp256k1, type Secp256k1 } from './secp256k1.ts'
import { bytesToAddress, addressToBytes, type Address } from './bytes.ts'
import { InvalidSignatureError, UnauthorisedSignerError } from './errors.ts'
import type { EscrowDomain } from './receipt.ts'

/** EIP-2098 compact signature length. */
export const SIGNATURE_LENGTH = 64
/** secp256k1 n/2: a larger `s` is the malleable twin the contract rejects (EIP-2, OZ ECDSA). */
const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n
/** The same, as 32 big-endian bytes: the hot path compares bytes, not bigints. */
const HALF_N = Buffer.from(SECP256K1_HALF_N.toString(16).padStart(64, '0'), 'hex')
/**
 * The one low-s rule of the agent (the verifier and the batch encoder both use it): `s`, 32 big-endian bytes with
 * the EIP-2098 parity bit already cleared, must not exceed n/2.
 */
export function isHighS (s: Uint8Array): boolean {
  return Buffer.compare(s, HALF_N) > 0
}

/** Recovered public keys seen recently; a channel's payer signs with one key, so this skips a keccak. */
const PUBKEY_CACHE_SIZE = 8

/** Who, besides the payer itself, may sign receipts for a payer (from the chain's `signerOf`, cached). */
export interface SignerDirectory {
  signersOf: (payer: Address) => readonly Address[]
}

export interface ReceiptVerifierComponents {
  /** @default only the payer's own key signs */
  signers?: SignerDirectory
}

export interface ReceiptVerifierInit {
  domain: EscrowDomain
}

/**
 * Recovers the uncompressed public key that made `sig` over `digest` into `pubkey` (65 bytes), with the
 * contract's rules: 64-byte EIP-2098 signature, low `s`. `s` is scratch space (32 bytes), reused by callers on
 * the hot path. Throws InvalidSignatureError.
 */
function recoverInto (secp: Secp256k1, digest: Uint8Array, sig: Uint8Array, s: Buffer, pubkey: Uint8Array): void {
  if (sig.length !== SIGNATURE_LENGTH) throw new InvalidSignatureError(`length ${sig.length}, expected 64`)
  const recid = sig[32]! >> 7
  s.set(sig.subarray(32, 64))
  s[0]! &= 0x7f
  if (isHighS(s)) throw new InvalidSignatureError('s in the upper half of the curve order')
  const rs = new Uint8Array(64)
  rs.set(sig.subarray(0, 32), 0)
  rs.set(s, 32)
  try {
    secp.ecdsaRecover(rs, recid, digest, false, pubkey)
  } catch (err) {
    throw new InvalidSignatureError(err instanceof Error ? err.message : String(err))
  }
}

/**
 * The address that signed a 32-byte digest with a 64-byte EIP-2098 signature (low `s` required, native
 * libsecp256k1), for one-off checks such as a hello proof; receipts use ReceiptVerifier's cached path.
 * Throws InvalidSignatureError.
 */
export function recoverDigest (digest: Uint8Array, sig: Uint8Array): Address {
  const pubkey = new Uint8Array(65)
  recoverInto(nativeSecp256k1(), digest, sig, Buffer.alloc(32), pubkey)
  return bytesToAddress(keccak256(pubkey.subarray(1)).subarray(12))
}

export class ReceiptVerifier {
  readonly hasher: ReceiptHasher
  private readonly secp: Secp256k1
  private readonly signers: SignerDirectory | undefined
  private readonly pubkey = new Uint8Array(65)
  private readonly s = Buffer.alloc(32)
  private readonly cache: Array<{ key: Buffer, address: Address }> = []

  constructor (components: ReceiptVerifierComponents, init: ReceiptVerifierInit) {
    this.secp = nativeSecp256k1()
    this.signers = components.signers
    this.hasher = new ReceiptHasher(init.domain)
  }

  /** The address that signed this receipt content; throws InvalidSignatureError if none. */
  recover (payer: Uint8Array, payee: Uint8Array, bytes: bigint, amount: bigint, sig: Uint8Array): Address {
    recoverInto(this.secp, this.hasher.digest(payer, payee, bytes, amount), sig, this.s, this.pubkey)
    return this.addressOf(this.pubkey)
  }

  /**
   * Recovers the signer and checks it is `payer` or a signer registered for it.
   * @returns the recovered address
   */
  verify (payer: Address, payee: Address, bytes: bigint, amount: bigint, sig: Uint8Array): Address {
    const recovered = this.recover(addressToBytes(payer), addressToBytes(payee), bytes, amount, sig)
    if (!this.mayHaveSigned(payer, recovered)) throw new UnauthorisedSignerError(payer, recovered)
    return recovered
  }

  mayHaveSigned (payer: Address, recovered: Address): boolean {
    if (recovered === payer) return true
    return this.signers?.signersOf(payer).includes(recovered) ?? false
  }

  private addressOf (pubkey: Uint8Array): Address {
    const key = Buffer.from(pubkey.buffer, pubkey.byteOffset, 65)
    for (const entry of this.cache) if (entry.key.equals(key)) return entry.address
    const address = bytesToAddress(keccak256(pubkey.subarray(1)).subarray(12))
    this.cache.unshift({ key: Buffer.from(key), address })
    if (this.cache.length > PUBKEY_CACHE_SIZE) this.cache.pop()
    return address
  }
}
