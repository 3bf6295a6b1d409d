/**
 * Deploys TestBTT and BandwidthEscrow on an EVM chain (anvil) from the tronbox artifacts, for the demo and the
 * tests. Nile and mainnet deploy through `npx tronbox migrate` (migrations/1_deploy.js) instead.
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

async function deployArtifact (name: string, signer: AbstractSigner, args: unknown[], options: CallOptions): Promise<Deployed> {
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

/** Deploys TestBTT (18 decimals, open `mint`). Never on mainnet. */
export async function deployTestBTT (signer: AbstractSigner, options: CallOptions = {}): Promise<Deployed> {
  return await deployArtifact('TestBTT', signer, [], options)
}

export interface EscrowDeployInit {
  token: string
  /** Seconds. @default 86400 */
  withdrawalDelay?: bigint
}

export async function deployEscrow (signer: AbstractSigner, init: EscrowDeployInit, options: CallOptions = {}): Promise<Deployed> {
  return await deployArtifact('BandwidthEscrow', signer, [getAddress(init.token), init.withdrawalDelay ?? DEFAULT_WITHDRAWAL_DELAY], options)
}

export interface LocalDeployInit {
  chainId: bigint
  /** An existing token; TestBTT is deployed when omitted. */
  token?: string
  /** @default 86400 */
  withdrawalDelay?: bigint
  /** @default 'development' */
  network?: string
}

/**
 * Deploys (TestBTT +) BandwidthEscrow and returns the deployment record; `writeDeployment` stores it as
 * deployments/development.json (gitignored).
 */
export async function deployLocal (signer: AbstractSigner, init: LocalDeployInit, options: CallOptions = {}): Promise<Deployment> {
  const withdrawalDelay = init.withdrawalDelay ?? DEFAULT_WITHDRAWAL_DELAY
  const txIds: Record<string, string> = {}
  let token = init.token
  if (token === undefined) {
    const t = await deployTestBTT(signer, options)
    token = t.address
    txIds.token = t.txId
  }
  const escrow = await deployEscrow(signer, { token, withdrawalDelay }, options)
  txIds.escrow = escrow.txId
  return {
    network: init.network ?? 'development',
    chainId: init.chainId,
    token: addressPair(token),
    testToken: init.token === undefined,
    escrow: addressPair(escrow.address),
    withdrawalDelay,
    escrowBlock: escrow.blockNumber,
    deployedAt: new Date().toISOString(),
    txIds
  }
}
