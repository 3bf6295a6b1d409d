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
  /** EVM gas used; on TRON the energy used (`energy_usage_total`, staked or burnt). */
  gasUsed: bigint
  /**
   * What the sender paid for the transaction, in the smallest unit of the chain's coin (`feeUnit`): on TRON the
   * sun burnt for energy not covered by staking and for bandwidth (`fee`); on an EVM chain gas used × gas price.
   */
  fee: bigint
  /** The escrow events this transaction logged, decoded (batch records expanded). */
  events: EscrowEvent[]
}

/** A pending withdrawal or lane release: executable from `unlockAt` until `unlockAt + withdrawalWindow` (exclusive). */
export interface Withdrawal {
  amount: bigint
  /** Unix seconds; 0 when no withdrawal is pending. */
  unlockAt: bigint
}

/** A payer's reservation for one payee and the pair's cumulative payout. */
export interface Lane {
  /** What only this payee's receipts can take; leaves only through requestRelease → delay → release. */
  lane: bigint
  paidOut: bigint
}

/** One `reserve` entry: move `amount` from the payer's free balance into its lane for `payee`. */
export interface ReserveEntry {
  payee: string
  amount: bigint
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
  /** `lane` is the lane's new total. */
  | { name: 'LaneReserved', payer: string, payee: string, amount: bigint, lane: bigint }
  | { name: 'LaneReleaseRequested', payer: string, payee: string, amount: bigint, unlockAt: bigint }
  | { name: 'LaneReleaseCancelled', payer: string, payee: string }
  /** `amount` went from the lane back to the payer's free balance (possibly 0). */
  | { name: 'LaneReleased', payer: string, payee: string, amount: bigint }
  /** Native escrow: `to` refused a payout of `amount` (a settlement's or a withdrawal's); it waits in `unclaimedOf(to)`. */
  | { name: 'PayoutDeferred', to: string, amount: bigint }
  /** Native escrow: `account` took `amount` of its unclaimed payouts, sent to `to`. */
  | { name: 'Claimed', account: string, to: string, amount: bigint }
)

export type EscrowEventName = EscrowEvent['name']

/** Events in blocks `fromBlock..toBlock` (inclusive); poll again from `toBlock + 1`. */
export interface EventPage {
  events: EscrowEvent[]
  toBlock: number
}

export interface EventsSinceOptions extends CallOptions {
  /**
   * The last block to read (inclusive), e.g. the newest block minus a confirmation depth. Capped at the newest
   * block. @default the newest block
   */
  toBlock?: number
}

/** What an escrow holds. */
export type EscrowAsset = 'token' | 'native'

export interface EscrowClient {
  /** The chain id the escrow's receipt domain uses (Nile: 3448148188). */
  readonly chainId: bigint
  /** The escrow's address, 0x-hex. */
  readonly escrow: string
  /** The signing account's address, 0x-hex (undefined for a read-only client). */
  readonly account: string | undefined
  /** What `feePrice` is counted in: sun per unit of energy on TRON, wei per unit of gas on an EVM chain. */
  readonly feeUnit: 'sun' | 'wei'

  /** The escrow's EIP-712 domain separator, as it computes it (its chain id and address): what receipts must be signed for. */
  domainSeparator: (options?: CallOptions) => Promise<string>

  // the asset: a TRC-20 token (BandwidthEscrow) or the chain's coin (NativeBandwidthEscrow)
  /** The escrow's token address, 0x-hex; the zero address for an escrow of the chain's native coin. */
  token: (options?: CallOptions) => Promise<string>
  /** What the escrow holds: 'token' (deposits need an approval) or 'native' (deposits carry the coins). */
  asset: (options?: CallOptions) => Promise<EscrowAsset>
  /** What `owner`'s wallet holds of the escrow's asset: its token balance, or its coins. */
  tokenBalanceOf: (owner: string, options?: CallOptions) => Promise<bigint>
  /** What the escrow may pull from `owner`; unlimited for coins, which need no approval. */
  allowance: (owner: string, options?: CallOptions) => Promise<bigint>
  /** Payouts `account` refused (a contract that takes no coins with the 2,300-gas stipend) and may `claim`; 0 on a token escrow. */
  unclaimedOf: (account: string, options?: CallOptions) => Promise<bigint>
  /** Sends the caller's unclaimed payouts to `to` (native escrow only: NativeAssetError on a token escrow). */
  claim: (to: string, options?: CallOptions) => Promise<WriteResult>
  /** Approves the escrow to pull `amount` of the token from the account (NativeAssetError for coins). */
  approve: (amount: bigint, options?: CallOptions) => Promise<WriteResult>

  // payer
  deposit: (amount: bigint, options?: CallOptions) => Promise<WriteResult>
  depositFor: (payer: string, amount: bigint, options?: CallOptions) => Promise<WriteResult>
  requestWithdrawal: (amount: bigint, options?: CallOptions) => Promise<WriteResult>
  cancelWithdrawal: (options?: CallOptions) => Promise<WriteResult>
  withdraw: (options?: CallOptions) => Promise<WriteResult>
  setSigner: (signer: string, options?: CallOptions) => Promise<WriteResult>
  /** Moves money from the free balance into lanes, many payees in one transaction (at most MAX_BATCH_SIZE). */
  reserve: (entries: ReadonlyArray<ReserveEntry>, options?: CallOptions) => Promise<WriteResult>
  /** Announces taking `amount` out of the lane for `payee`; `release` after the delay, within the window. */
  requestRelease: (payee: string, amount: bigint, options?: CallOptions) => Promise<WriteResult>
  cancelRelease: (payee: string, options?: CallOptions) => Promise<WriteResult>
  /** Moves min(requested, lane) from the lane for `payee` back to the free balance. */
  release: (payee: string, options?: CallOptions) => Promise<WriteResult>

  // payee or relayer
  settle: (receipt: Receipt, signature: string, options?: CallOptions) => Promise<WriteResult>
  /** Every entry's receipt must name `payee`; signatures are sent compact (EIP-2098). */
  settleBatch: (payee: string, entries: SignedReceipt[], options?: CallOptions) => Promise<WriteResult>

  // views
  withdrawalDelay: (options?: CallOptions) => Promise<bigint>
  /** Seconds an unlocked withdrawal or release stays executable (equals withdrawalDelay). */
  withdrawalWindow: (options?: CallOptions) => Promise<bigint>
  /** The payer's free balance: backs receipts to every payee; excludes its lanes. */
  balanceOf: (payer: string, options?: CallOptions) => Promise<bigint>
  paidOut: (payer: string, payee: string, options?: CallOptions) => Promise<bigint>
  laneOf: (payer: string, payee: string, options?: CallOptions) => Promise<Lane>
  pendingWithdrawal: (payer: string, options?: CallOptions) => Promise<Withdrawal>
  /** The payer's pending release of its lane for `payee` (unlockAt 0 when none). */
  pendingRelease: (payer: string, payee: string, options?: CallOptions) => Promise<Withdrawal>
  signerOf: (payer: string, options?: CallOptions) => Promise<SignerInfo>
  /** The contract's EIP-712 digest for `receipt` (equals `receiptDigest` from agent/pay/receipt). */
  hashReceipt: (receipt: Receipt, options?: CallOptions) => Promise<string>
  blockNumber: (options?: CallOptions) => Promise<number>
  /**
   * The network's current fee price: on TRON sun per unit of energy (`wallet/getenergyprices`, the newest entry),
   * on an EVM chain wei per gas (`eth_gasPrice`). Settlement thresholds are priced with it.
   */
  feePrice: (options?: CallOptions) => Promise<bigint>

  /** Escrow events from `fromBlock` up to `options.toBlock` (default the newest block), decoded and in chain order. */
  eventsSince: (fromBlock: number, options?: EventsSinceOptions) => Promise<EventPage>
}
