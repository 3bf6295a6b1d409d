/**
 * The receipt digest on the hot path. Equals `receiptDigest` in receipt.ts (and the contract's `hashReceipt`),
 * but computes the domain separator and type hash once per escrow and hashes into reused buffers:
 * `keccak256(0x1901 ‖ domainSeparator ‖ keccak256(typeHash ‖ payer ‖ payee ‖ bytes ‖ amount))`.
 */
import { getBytes } from 'ethers'
import { RECEIPT_TYPEHASH, receiptDomainSeparator, type EscrowDomain } from './receipt.ts'
import { keccak256 } from './keccak.ts'
import { writeUint256 } from './bytes.ts'

/** typeHash + 4 words, EIP-712 `encodeData` of a Receipt. */
const STRUCT_LENGTH = 32 * 5
/** 0x19 0x01 ‖ domainSeparator ‖ structHash (EIP-712 §"Specification of the eth_signTypedData"). */
const DIGEST_INPUT_LENGTH = 2 + 32 + 32

export class ReceiptHasher {
  readonly domain: EscrowDomain
  /** The domain separator, 0x-hex; equals the contract's `domainSeparator()`. */
  readonly domainSeparator: string
  private readonly struct = new Uint8Array(STRUCT_LENGTH)
  private readonly outer = new Uint8Array(DIGEST_INPUT_LENGTH)

  constructor (domain: EscrowDomain) {
    this.domain = domain
    this.domainSeparator = receiptDomainSeparator(domain)
    this.struct.set(getBytes(RECEIPT_TYPEHASH), 0)
    this.outer[0] = 0x19
    this.outer[1] = 0x01
    this.outer.set(getBytes(this.domainSeparator), 2)
  }

  /** The 32-byte digest the payer signs. `payer` and `payee` are 20 bytes each. */
  digest (payer: Uint8Array, payee: Uint8Array, cumulativeBytes: bigint, cumulativeAmount: bigint): Uint8Array {
    // Address words are left-padded with zeros, which the constructor left in place.
    const s = this.struct
    s.set(payer, 44)
    s.set(payee, 76)
    writeUint256(s, 96, cumulativeBytes)
    writeUint256(s, 128, cumulativeAmount)
    this.outer.set(keccak256(s), 34)
    return keccak256(this.outer)
  }
}
