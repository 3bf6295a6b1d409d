/**
 * Signs receipts with the payer's hot key. The key may be the payer's own or the signer it registered on
 * the escrow with `setSigner`, so the key holding the money can stay cold.
 */
import { SigningKey, computeAddress, getBytes } from 'ethers'
import { toAddress, type Address } from './bytes.ts'

/** A signer of receipt digests; the signature is 64-byte EIP-2098 compact `r ‖ yParity·2^255 + s`. */
export interface ReceiptSigner {
  readonly address: Address
  signDigest: (digest: Uint8Array) => Uint8Array
}

/** An in-memory secp256k1 key (ethers' SigningKey: RFC 6979, low s). */
export class HotKeySigner implements ReceiptSigner {
  readonly address: Address
  private readonly key: SigningKey

  constructor (privateKey: string) {
    this.key = new SigningKey(privateKey)
    this.address = toAddress(computeAddress(this.key.publicKey))
  }

  signDigest (digest: Uint8Array): Uint8Array {
    return getBytes(this.key.sign(digest).compactSerialized)
  }
}
