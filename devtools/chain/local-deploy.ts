/**
 * The local chain's contracts for the demo, the benchmarks and the tests: TestBTT (an open faucet token) and a
 * BandwidthEscrow over it, deployed on anvil from the tronbox artifacts. Dev tooling: the agent never deploys
 * a test token.
 */
import { ZeroAddress, type AbstractSigner } from 'ethers'
import { deployArtifact, deployEscrow, deploymentRecord, DEFAULT_WITHDRAWAL_DELAY, type CallOptions, type Deployed, type Deployment, type EscrowAsset } from '../../agent/chain/index.ts'

/** Deploys TestBTT (18 decimals, open `mint`). Never on mainnet. */
export async function deployTestBTT (signer: AbstractSigner, options: CallOptions = {}): Promise<Deployed> {
  return await deployArtifact('TestBTT', signer, [], options)
}

export interface LocalDeployInit {
  chainId: bigint
  /** An existing token; TestBTT is deployed when omitted (and `asset` is not 'native'). */
  token?: string
  /** 'native': a NativeBandwidthEscrow of the chain's coin, no token. @default 'token' */
  asset?: EscrowAsset
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
  const native = init.asset === 'native'
  let token = native ? ZeroAddress : init.token
  if (token === undefined) {
    const t = await deployTestBTT(signer, options)
    token = t.address
    txIds.token = t.txId
  }
  const escrow = await deployEscrow(signer, native ? { asset: 'native', withdrawalDelay } : { token, withdrawalDelay }, options)
  // token: the zero address when the escrow holds the chain's coin (its `token()` says so too)
  return deploymentRecord({ network: init.network ?? 'development', chainId: init.chainId, token, testToken: !native && init.token === undefined, withdrawalDelay, txIds }, escrow)
}
