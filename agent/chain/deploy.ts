/**
 * Deploys a tronbox artifact (BandwidthEscrow, NativeBandwidthEscrow) on an EVM chain through ethers. Nile and mainnet deploy through
 * `npx tronbox migrate` (migrations/1_deploy.js) instead; the local TestBTT + escrow pair is devtools/chain/local-deploy.ts.
 */
import { ContractFactory, getAddress, type AbstractSigner } from 'ethers'
import { abortable, throwIfAborted } from './abort.ts'
import { loadArtifact } from './artifacts.ts'
import type { CallOptions } from './client.ts'
import { addressPair, type Deployment } from './deployments.ts'
import { ChainRequestError } from './errors.ts'
import { pendingNonce } from './evm-chain.ts'

export interface Deployed {
  address: string
  txId: string
  blockNumber: number
  gasUsed: bigint
}

/** Default withdrawal delay: 24 h (docs/contract.md). */
export const DEFAULT_WITHDRAWAL_DELAY = 86_400n

/** Deploys the artifact `name` with constructor `args` and waits for its receipt. */
export async function deployArtifact (name: string, signer: AbstractSigner, args: unknown[], options: CallOptions): Promise<Deployed> {
  throwIfAborted(options.signal)
  const artifact = loadArtifact(name)
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, signer)
  const contract = await abortable((async () => await factory.deploy(...args, { nonce: await pendingNonce(signer) }))(), options.signal)
  const tx = contract.deploymentTransaction()
  if (tx === null) throw new ChainRequestError(`${name}: no deployment transaction`)
  const receipt = await abortable(tx.wait(), options.signal)
  if (receipt === null || receipt.contractAddress === null) throw new ChainRequestError(`${name}: deployment ${tx.hash} has no receipt`)
  return { address: getAddress(receipt.contractAddress), txId: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed }
}

/** A BandwidthEscrow over `token`, or (`asset: 'native'`) a NativeBandwidthEscrow of the chain's coin (BTT on BTTC). */
export type EscrowDeployInit = ({ token: string } | { asset: 'native' }) & {
  /** Seconds. @default 86400 */
  withdrawalDelay?: bigint
}

/** Deploys BandwidthEscrow over `init.token`, or NativeBandwidthEscrow, with its withdrawal delay. */
export async function deployEscrow (signer: AbstractSigner, init: EscrowDeployInit, options: CallOptions = {}): Promise<Deployed> {
  const delay = init.withdrawalDelay ?? DEFAULT_WITHDRAWAL_DELAY
  if ('asset' in init) return await deployArtifact('NativeBandwidthEscrow', signer, [delay], options)
  return await deployArtifact('BandwidthEscrow', signer, [getAddress(init.token), delay], options)
}

export interface DeploymentRecordInit {
  network: string
  chainId: bigint
  /** The token held; the zero address for the native escrow. */
  token: string
  /** True when TestBTT was deployed with it. */
  testToken: boolean
  withdrawalDelay: bigint
  /** Transactions besides the escrow's own (e.g. `token`). */
  txIds?: Record<string, string>
}

/** The deployments-file record of an escrow just deployed, for `writeDeployment`. */
export function deploymentRecord (init: DeploymentRecordInit, escrow: Deployed): Deployment {
  return {
    network: init.network,
    chainId: init.chainId,
    token: addressPair(init.token),
    testToken: init.testToken,
    escrow: addressPair(escrow.address),
    withdrawalDelay: init.withdrawalDelay,
    escrowBlock: escrow.blockNumber,
    deployedAt: new Date().toISOString(),
    txIds: { ...init.txIds, escrow: escrow.txId }
  }
}
