/**
 * agent/chain: the escrow as the rest of the agent sees it. One interface (EscrowClient), two chains:
 * EvmChain (ethers, local anvil) and TronChain (tronweb, Nile/mainnet).
 */
export type {
  CallOptions, EscrowAsset, EscrowClient, EscrowEvent, EscrowEventName, EventMeta, EventPage, EventsSinceOptions, Lane, ReserveEntry, SignedReceipt,
  SignerInfo, Withdrawal, WriteResult
} from './client.ts'
export { EvmChain, type EvmChainComponents, type EvmChainInit } from './evm-chain.ts'
export { TronChain, type TronChainComponents, type TronChainInit, type TronConnectInit } from './tron-chain.ts'
export { refBlockOf, encodeTronCall, batchArgs, type BlockHeaderRef } from './tron-call.ts'
export {
  EscrowRevertError, isEscrowRevert, UnknownRevertError, ValueOutOfRangeError, MalformedSignatureError, NativeAssetError, BatchPayeeMismatchError,
  BatchSizeError, InvalidAddressError, ChainRequestError, ReadOnlyClientError, InsufficientEnergyError, FeeLimitExceededError, type EscrowErrorArgs, type EscrowErrorName
} from './errors.ts'
export { decodeRevert, escrowInterface, tokenInterface } from './abi.ts'
export { decodeEscrowLog, type RawLog } from './events.ts'
export {
  BATCH_ENTRY_SIZE, MAX_BATCH_SIZE, RESERVE_ENTRY_SIZE, encodeBatch, encodeBatchEntry, decodeBatch, decodeBatchRecords, encodeBatchRecords,
  encodeReserveEntries, decodeReserveEntries, toCompactSignature, type BatchEntryFields, type BatchRecord, type CompactSignature
} from './batch-encoding.ts'
export { toEvmAddress, toTronAddress, toTronHex, isTronAddress } from './tron-address.ts'
export {
  readDeployment, writeDeployment, parseDeployment, deploymentPath, deploymentsDir, addressPair, DeploymentError, DeploymentSchema, type Deployment
} from './deployments.ts'
export { deployArtifact, deployEscrow, deploymentRecord, DEFAULT_WITHDRAWAL_DELAY, type Deployed, type DeploymentRecordInit, type EscrowDeployInit } from './deploy.ts'
export { loadArtifact, MissingArtifactError, type ContractArtifact } from './artifacts.ts'
