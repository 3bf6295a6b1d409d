/**
 * The one definition of a seedpay receipt's typed data (TIP-712 = EIP-712 with 20-byte addresses).
 * The contract's RECEIPT_TYPEHASH is checked against this module in test/contracts.
 */
import { TypedDataEncoder, getAddress, keccak256, toUtf8Bytes } from 'ethers'

/** Nile's chain id (the last four bytes of its genesis block hash, as TVM's CHAINID returns). */
export const NILE_CHAIN_ID = 3448148188n
/** TRON mainnet's chain id. */
export const TRON_MAINNET_CHAIN_ID = 728126428n
/** BitTorrent Chain (BTTC) mainnet's chain id; `local-bttc` runs anvil with it. */
export const BTTC_CHAIN_ID = 199n
/** BTTC's testnet, Donau. */
export const DONAU_CHAIN_ID = 1029n

export const RECEIPT_DOMAIN_NAME = 'seedpay'
export const RECEIPT_DOMAIN_VERSION = '1'

export const RECEIPT_TYPE_STRING =
  'Receipt(address payer,address payee,uint256 cumulativeBytes,uint256 cumulativeAmount)'
export const RECEIPT_TYPEHASH = keccak256(toUtf8Bytes(RECEIPT_TYPE_STRING))

export const RECEIPT_TYPES = {
  Receipt: [
    { name: 'payer', type: 'address' },
    { name: 'payee', type: 'address' },
    { name: 'cumulativeBytes', type: 'uint256' },
    { name: 'cumulativeAmount', type: 'uint256' }
  ]
} as const

/** Where a receipt can be cashed: one escrow on one chain. Addresses are 0x-hex (20 bytes). */
export interface EscrowDomain {
  chainId: bigint
  escrow: string
}

/** A receipt's content; payer and payee are 0x-hex 20-byte addresses. */
export interface Receipt {
  payer: string
  payee: string
  cumulativeBytes: bigint
  cumulativeAmount: bigint
}

/**
 * A signed receipt as every layer holds it (pay, wire, ledger, settle, audit): cumulative bytes and amount and the
 * 64-byte EIP-2098 compact signature. Payer and payee are the channel's (`ChannelKey`), never repeated here.
 */
export interface SignedReceipt {
  bytes: bigint
  amount: bigint
  sig: Uint8Array
}

export interface TypedDataDomain {
  name: string
  version: string
  chainId: bigint
  verifyingContract: string
}

export function receiptDomain (domain: EscrowDomain): TypedDataDomain {
  return {
    name: RECEIPT_DOMAIN_NAME,
    version: RECEIPT_DOMAIN_VERSION,
    chainId: domain.chainId,
    verifyingContract: getAddress(domain.escrow)
  }
}

/** The plain-object message ethers and tronweb sign. */
export function receiptMessage (receipt: Receipt): Record<string, string | bigint> {
  return {
    payer: getAddress(receipt.payer),
    payee: getAddress(receipt.payee),
    cumulativeBytes: receipt.cumulativeBytes,
    cumulativeAmount: receipt.cumulativeAmount
  }
}

/** The EIP-712 digest the payer (or its signer) signs; equals the contract's `hashReceipt`. */
export function receiptDigest (domain: EscrowDomain, receipt: Receipt): string {
  return TypedDataEncoder.hash(
    receiptDomain(domain),
    { Receipt: [...RECEIPT_TYPES.Receipt] },
    receiptMessage(receipt)
  )
}

/** The domain separator; equals the contract's `domainSeparator()`. */
export function receiptDomainSeparator (domain: EscrowDomain): string {
  return TypedDataEncoder.hashDomain(receiptDomain(domain))
}
