/**
 * EscrowClient: everything the agent does with BandwidthEscrow and its token, independent of the chain.
 * Two implementations: EvmChain (ethers v6, a local anvil) and TronChain (tronweb 6, Nile or mainnet).
 *
 * Addresses given to a client are 0x-hex on EvmChain and base58 (`T...`), 41-hex or 0x-hex on TronChain.
 * Addresses a client returns (views, events, errors) are always 0x-hex, checksummed, 20 bytes: the form the
 * receipt typed data, the wire and the ledger use. `toTronAddress` converts for display.
 */
import type { Receipt } from '../pay/receipt.ts'

export interface CallOptions {
  signal?: AbortSignal
}

/** A receipt and the 65-byte (r‖s‖v) or 64-byte (EIP-2098 r‖vs) signature its payer or signer made. */
export interface SignedReceipt {
  receipt: Receipt
  signature: string
}

/** The outcome of a mined, successful write. */
export interface WriteResult {
  txId: string
  blockNumber: number
  /** EVM gas used; on TRON the energy used (`energy_usage_total`, bought or burnt). */
  gasUsed: bigint
  /** TRON only: the fee burnt in sun (energy not covered by staking + bandwidth). */
  feeSun?: bigint
  /** The escrow events this transaction logged, decoded (batch records expanded). */
  events: EscrowEvent[]
}

export interface Withdrawal {
  amount: bigint
  /** Unix seconds; 0 when no withdrawal is pending. */
  unlockAt: bigint
}

export interface SignerInfo {
  /** The payer's hot key; the zero address when only the payer's own key signs. */
  signer: string
  previous: string
  previousValidUntil: bigint
}

/** Where an event was logged. */
export interface EventMeta {
  blockNumber: number
  txId: string
  /**
   * The log's position: within the block on EVM chains, within the transaction on TRON (java-tron numbers logs
   * per transaction). Either way (txId, logIndex) identifies one log.
   */
  logIndex: number
}

export type EscrowEvent = EventMeta & (
  | { name: 'Deposited', payer: string, from: string, amount: bigint }
  | { name: 'WithdrawalRequested', payer: string, amount: bigint, unlockAt: bigint }
  | { name: 'WithdrawalCancelled', payer: string }
  | { name: 'Withdrawn', payer: string, amount: bigint }
  | { name: 'SignerChanged', payer: string, signer: string, previous: string, previousValidUntil: bigint }
  /**
   * One settled receipt: from a `Settled` log (`batchIndex` undefined) or one record of a `BatchSettled` log
   * (`batchIndex` = its position among the batch's records). Either way the pair's new paidOut grew by `paid`.
   */
  | { name: 'Settled', payer: string, payee: string, paid: bigint, cumulativeBytes: bigint, cumulativeAmount: bigint, batchIndex?: number }
  | { name: 'Bounced', payer: string, payee: string, unpaid: bigint }
  /** The batch summary; its records also appear as `Settled` events right after it. */
  | { name: 'BatchSettled', payee: string, totalPaid: bigint, skipped: bigint, settledCount: number }
)

export type EscrowEventName = EscrowEvent['name']

/** Events in blocks `fromBlock..toBlock` (inclusive); poll again from `toBlock + 1`. */
export interface EventPage {
  events: EscrowEvent[]
  toBlock: number
}

export interface EscrowClient {
  /** The chain id the escrow's receipt domain uses (Nile: 3448148188). */
  readonly chainId: bigint
  /** The escrow's address, 0x-hex. */
  readonly escrow: string
  /** The signing account's address, 0x-hex (undefined for a read-only client). */
  readonly account: string | undefined

  // token
  /** The escrow's token address, 0x-hex. */
  token: (options?: CallOptions) => Promise<string>
  tokenBalanceOf: (owner: string, options?: CallOptions) => Promise<bigint>
  allowance: (owner: string, options?: CallOptions) => Promise<bigint>
  /** Approves the escrow to pull `amount` of the token from the account. */
  approve: (amount: bigint, options?: CallOptions) => Promise<WriteResult>

  // payer
  deposit: (amount: bigint, options?: CallOptions) => Promise<WriteResult>
  depositFor: (payer: string, amount: bigint, options?: CallOptions) => Promise<WriteResult>
  requestWithdrawal: (amount: bigint, options?: CallOptions) => Promise<WriteResult>
  cancelWithdrawal: (options?: CallOptions) => Promise<WriteResult>
  withdraw: (options?: CallOptions) => Promise<WriteResult>
  setSigner: (signer: string, options?: CallOptions) => Promise<WriteResult>

  // payee or relayer
  settle: (receipt: Receipt, signature: string, options?: CallOptions) => Promise<WriteResult>
  /** Every entry's receipt must name `payee`; signatures are sent compact (EIP-2098). */
  settleBatch: (payee: string, entries: SignedReceipt[], options?: CallOptions) => Promise<WriteResult>

  // views
  withdrawalDelay: (options?: CallOptions) => Promise<bigint>
  balanceOf: (payer: string, options?: CallOptions) => Promise<bigint>
  paidOut: (payer: string, payee: string, options?: CallOptions) => Promise<bigint>
  pendingWithdrawal: (payer: string, options?: CallOptions) => Promise<Withdrawal>
  signerOf: (payer: string, options?: CallOptions) => Promise<SignerInfo>
  /** The contract's EIP-712 digest for `receipt` (equals `receiptDigest` from agent/pay/receipt). */
  hashReceipt: (receipt: Receipt, options?: CallOptions) => Promise<string>
  blockNumber: (options?: CallOptions) => Promise<number>

  /** Escrow events from `fromBlock` up to the newest block, decoded and in chain order. */
  eventsSince: (fromBlock: number, options?: CallOptions) => Promise<EventPage>
}
