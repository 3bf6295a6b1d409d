/** A fresh anvil with the escrow deployed from the tronbox artifacts, for e2e tests that run the CLI against it. */
import { JsonRpcProvider, Wallet } from 'ethers'
import { EvmChain, type Deployment } from '../../agent/chain/index.ts'
import { startAnvil, ANVIL_KEYS, deployLocal, type Anvil } from '../../devtools/chain/index.ts'

export interface LocalEscrow {
  anvil: Anvil
  provider: JsonRpcProvider
  dep: Deployment
  /** The deployer's client: mints TestBTT, reads balances and paidOut. */
  chain: EvmChain
  /** `--rpc <anvil> --escrow <escrow>`: what a CLI command needs to reach it. */
  chainArgs: string[]
  stop: () => Promise<void>
}

export async function startLocalEscrow (): Promise<LocalEscrow> {
  const anvil = await startAnvil()
  const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
  const deployer = new Wallet(ANVIL_KEYS[0], provider)
  const dep = await deployLocal(deployer, { chainId: anvil.chainId })
  const chain = await EvmChain.create({ provider, signer: deployer }, { escrow: dep.escrow.hex, chainId: anvil.chainId })
  return {
    anvil, provider, dep, chain,
    chainArgs: ['--rpc', anvil.url, '--escrow', dep.escrow.hex],
    stop: async () => { provider.destroy(); await anvil.stop() }
  }
}
