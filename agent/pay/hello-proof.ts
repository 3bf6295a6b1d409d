/**
 * Who is paying: a hello's `acct` is only a claim until its `proof` shows the sender speaks for that account.
 * The proof is a signature by the account, or by the hot signer it registered on the escrow, over both peers'
 * BitTorrent ids, the torrent's info hash and the escrow domain. So a peer cannot announce another payer's
 * account and be served on its credit, and a proof made for one connection (other peer ids, another torrent,
 * escrow or chain) recovers to some other key on any other.
 *
 * Typed data in the receipts' EIP-712 domain but with its own primary type: the type hash differs, so a proof
 * can never be taken for a receipt, nor a receipt for a proof. One signature and one recovery per connection,
 * so the digest goes through ethers' TypedDataEncoder rather than a hot-path hasher like ReceiptHasher.
 */
import { TypedDataEncoder, getBytes, keccak256, toUtf8Bytes } from 'ethers'
import { receiptDomain, type EscrowDomain } from './receipt.ts'
import { recoverDigest, type SignerDirectory } from './verifier.ts'
import { InvalidHelloProofError, InvalidSignatureError } from './errors.ts'
import type { ReceiptSigner } from './signer.ts'
import type { Address } from './bytes.ts'

export const HELLO_TYPE_STRING = 'Hello(address account,bytes20 sender,bytes20 receiver,bytes20 infoHash)'
export const HELLO_TYPEHASH = keccak256(toUtf8Bytes(HELLO_TYPE_STRING))

export const HELLO_TYPES = {
  Hello: [
    { name: 'account', type: 'address' },
    { name: 'sender', type: 'bytes20' },
    { name: 'receiver', type: 'bytes20' },
    { name: 'infoHash', type: 'bytes20' }
  ]
} as const

/** What a hello proof binds. Peer ids and the info hash are 20 bytes as 40 hex digits (with or without 0x). */
export interface HelloProofFields {
  /** The account the hello's author announces (`hello.acct`). */
  account: Address
  /** The hello author's BitTorrent peer id (BEP 3 handshake). */
  sender: string
  /** The BitTorrent peer id of the peer the hello is sent to. */
  receiver: string
  /** The torrent's info hash (BEP 3 handshake). */
  infoHash: string
}

const ID20 = /^(0x)?[0-9a-fA-F]{40}$/

function bytes20 (name: string, value: string): string {
  if (!ID20.test(value)) throw new TypeError(`${name} must be 20 bytes of hex, got ${JSON.stringify(value)}`)
  return '0x' + value.replace(/^0x/, '').toLowerCase()
}

/** The plain-object message ethers signs and hashes. */
export function helloProofMessage (fields: HelloProofFields): Record<string, string> {
  return {
    account: fields.account,
    sender: bytes20('sender', fields.sender),
    receiver: bytes20('receiver', fields.receiver),
    infoHash: bytes20('infoHash', fields.infoHash)
  }
}

/** The EIP-712 digest a hello's author signs: `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(Hello))`. */
export function helloProofDigest (domain: EscrowDomain, fields: HelloProofFields): Uint8Array {
  return getBytes(TypedDataEncoder.hash(receiptDomain(domain), { Hello: [...HELLO_TYPES.Hello] }, helloProofMessage(fields)))
}

/** Signs a hello proof; 64-byte EIP-2098 compact like receipts. */
export function signHelloProof (signer: ReceiptSigner, domain: EscrowDomain, fields: HelloProofFields): Uint8Array {
  return signer.signDigest(helloProofDigest(domain, fields))
}

/** Who signed `proof` for these fields (low `s` required, as for receipts). Throws InvalidHelloProofError if no key. */
export function recoverHelloProof (domain: EscrowDomain, fields: HelloProofFields, proof: Uint8Array): Address {
  try {
    return recoverDigest(helloProofDigest(domain, fields), proof)
  } catch (err) {
    if (err instanceof InvalidSignatureError) throw new InvalidHelloProofError(fields.account, null, `is malformed: ${err.reason}`)
    throw err
  }
}

/**
 * Recovers the proof's key and checks it is the account or one of `signers.signersOf(account)` (the caller
 * refreshes that entry first). @returns the recovered address; throws InvalidHelloProofError
 */
export function verifyHelloProof (domain: EscrowDomain, fields: HelloProofFields, proof: Uint8Array, signers?: SignerDirectory): Address {
  const recovered = recoverHelloProof(domain, fields, proof)
  if (recovered === fields.account || (signers?.signersOf(fields.account).includes(recovered) ?? false)) return recovered
  throw new InvalidHelloProofError(fields.account, recovered, `recovers to ${recovered}, neither the account nor its registered signer`)
}

export interface HelloProverComponents {
  /** Signs our proofs: our account's key or its registered hot signer (the one that signs our receipts). */
  signer: ReceiptSigner
  /** Who may sign for a peer's account besides itself. @default only the account's own key */
  signers?: SignerDirectory
}

export interface HelloProverInit {
  domain: EscrowDomain
}

/** Both ends of the hello proof for one agent: signs ours, verifies the peer's. */
export class HelloProver {
  readonly domain: EscrowDomain
  private readonly signer: ReceiptSigner
  private readonly signers: SignerDirectory | undefined

  constructor (components: HelloProverComponents, init: HelloProverInit) {
    this.signer = components.signer
    this.signers = components.signers
    this.domain = init.domain
  }

  /** Our proof: `fields.account` is our account, `sender` our peer id, `receiver` the peer's. */
  prove (fields: HelloProofFields): Uint8Array {
    return signHelloProof(this.signer, this.domain, fields)
  }

  /** The peer's proof: `fields.account` is its `hello.acct`, `sender` its peer id, `receiver` ours. */
  verify (fields: HelloProofFields, proof: Uint8Array): Address {
    return verifyHelloProof(this.domain, fields, proof, this.signers)
  }
}
