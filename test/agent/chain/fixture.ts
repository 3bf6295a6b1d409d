/**
 * One anvil per test file (chain id = Nile), TestBTT + BandwidthEscrow deployed through agent/chain's own
 * deployLocal, an EvmChain per account, and a snapshot per test.
 */
import { JsonRpcProvider, Wallet } from 'ethers'
import { startAnvil, ANVIL_KEYS, type Anvil } from '../../../agent/chain/anvil.ts'
import { deployLocal } from '../../../agent/chain/deploy.ts'
import type { Deployment } from '../../../agent/chain/deployments.ts'
import { EvmChain } from '../../../agent/chain/evm-chain.ts'
import { receiptDomain, receiptMessage, RECEIPT_TYPES, type Receipt } from '../../../agent/pay/receipt.ts'

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

export function useChainFixture (): ChainFixture {
  const fx = {} as ChainFixture
  let snapshot = ''
  before(async function () {
    this.timeout(60_000)
    fx.anvil = await startAnvil()
    fx.provider = new JsonRpcProvider(fx.anvil.url, undefined, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 })
    fx.wallets = ANVIL_KEYS.map(k => new Wallet(k, fx.provider))
    fx.deployment = await deployLocal(fx.wallets[0]!, { chainId: fx.anvil.chainId, withdrawalDelay: DELAY })
    const init = { escrow: fx.deployment.escrow.hex, chainId: fx.anvil.chainId }
    fx.clients = await Promise.all(fx.wallets.map(async w => await EvmChain.create({ provider: fx.provider, signer: w }, init)))
    fx.readOnly = await EvmChain.create({ provider: fx.provider }, init)
    snapshot = await fx.provider.send('evm_snapshot', []) as string
  })
  beforeEach(async () => {
    await fx.provider.send('evm_revert', [snapshot])
    snapshot = await fx.provider.send('evm_snapshot', []) as string
  })
  after(async () => {
    fx.provider?.destroy()
    await fx.anvil?.stop()
  })
  return fx
}

export async function signReceipt (fx: ChainFixture, signer: Wallet, receipt: Receipt): Promise<string> {
  const domain = receiptDomain({ chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex })
  return await signer.signTypedData(domain, { Receipt: [...RECEIPT_TYPES.Receipt] }, receiptMessage(receipt))
}

/** Mints, approves and deposits `amount` for the client's account. */
export async function fund (client: EvmChain, amount: bigint): Promise<void> {
  await client.mintTestBTT(client.account!, amount)
  await client.approve(amount)
  await client.deposit(amount)
}

export async function increaseTime (fx: ChainFixture, seconds: bigint): Promise<void> {
  await fx.provider.send('evm_increaseTime', [Number(seconds)])
  await fx.provider.send('evm_mine', [])
}
