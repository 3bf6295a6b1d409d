/**
 * One anvil per test file (chain id = Nile), TestBTT + BandwidthEscrow deployed through agent/chain's own
 * deployLocal, an EvmChain per account, and a snapshot per test.
 */
import type { JsonRpcProvider, Wallet } from 'ethers'
import type { Anvil } from '../../../devtools/chain/index.ts'
import { deployLocal } from '../../../devtools/chain/index.ts'
import type { Deployment } from '../../../agent/chain/deployments.ts'
import { EvmChain } from '../../../agent/chain/evm-chain.ts'
import type { Receipt } from '../../../agent/pay/receipt.ts'
import { useAnvil, increaseTime as increaseChainTime, signTypedReceipt, GAS_FREE_ANVIL_ARGS } from '../../helpers/anvil.ts'
import type { EscrowAsset } from '../../../agent/chain/client.ts'

export const DELAY = 3_600n
export const E18 = 10n ** 18n

export interface ChainFixture {
  anvil: Anvil
  provider: JsonRpcProvider
  deployment: Deployment
  wallets: Wallet[]
  /** EvmChain clients, one per wallet. */
  clients: EvmChain[]
  readOnly: EvmChain
}

export interface ChainFixtureInit {
  /** 'native': a NativeBandwidthEscrow on a gas-free anvil (balances move only by what the escrow moves). @default 'token' */
  asset?: EscrowAsset
  /** anvil's chain id. @default Nile's */
  chainId?: bigint
  /** anvil's port, e.g. 8545 where a network's default node is. @default a free one */
  port?: number
}

export function useChainFixture (init: ChainFixtureInit = {}): ChainFixture {
  const fx = {} as ChainFixture
  const native = init.asset === 'native'
  useAnvil(async ({ anvil, provider, wallets }) => {
    Object.assign(fx, { anvil, provider, wallets })
    fx.deployment = await deployLocal(wallets[0]!, { chainId: anvil.chainId, withdrawalDelay: DELAY, ...(native ? { asset: 'native' as const } : {}) })
    const clientInit = { escrow: fx.deployment.escrow.hex, chainId: anvil.chainId }
    fx.clients = await Promise.all(wallets.map(async w => await EvmChain.create({ provider, signer: w }, clientInit)))
    fx.readOnly = await EvmChain.create({ provider }, clientInit)
  }, { ...(native ? { extraArgs: GAS_FREE_ANVIL_ARGS } : {}), ...(init.chainId !== undefined ? { chainId: init.chainId } : {}), ...(init.port !== undefined ? { port: init.port } : {}) })
  return fx
}

export async function signReceipt (fx: ChainFixture, signer: Wallet, receipt: Receipt): Promise<string> {
  return await signTypedReceipt(signer, { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex }, receipt)
}

/** Deposits `amount` for the client's account (TestBTT minted and approved first on a token escrow). */
export { depositTestFunds as fund } from '../../../devtools/chain/index.ts'

export async function increaseTime (fx: ChainFixture, seconds: bigint): Promise<void> {
  await increaseChainTime(fx.provider, seconds)
}
