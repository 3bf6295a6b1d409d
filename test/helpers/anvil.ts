/**
 * Mocha hooks for tests on a real local chain: one anvil per test file (chain id = Nile), a setup that
 * deploys what the file needs, and a snapshot per test so every test starts from that same state.
 */
import { JsonRpcProvider, Wallet } from 'ethers'
import { startAnvil, ANVIL_KEYS, type Anvil, type AnvilInit } from '../../devtools/chain/index.ts'
import { receiptDomain, receiptMessage, RECEIPT_TYPES, type EscrowDomain, type Receipt } from '../../agent/pay/receipt.ts'

export interface AnvilContext {
  anvil: Anvil
  provider: JsonRpcProvider
  /** anvil's funded accounts, connected to `provider`. */
  wallets: Wallet[]
}

/**
 * Registers before/beforeEach/after hooks; `setup` runs once after the chain starts, before the snapshot.
 * Returns the context, whose fields are filled in by the `before` hook.
 */
/** Coins per dev account on a gas-free chain (anvil's `--balance`, in whole coins). */
export const GAS_FREE_BALANCE = 10_000_000n
/**
 * anvil flags for a chain whose transactions cost nothing (base fee and gas price 0), so a wallet's coin balance
 * moves only by the coins sent and received: the native-coin escrow's tests compare balances to the wei.
 */
export const GAS_FREE_ANVIL_ARGS = ['--base-fee', '0', '--gas-price', '0', '--no-priority-fee', '--balance', GAS_FREE_BALANCE.toString()]

export function useAnvil (setup: (ctx: AnvilContext) => Promise<void>, init: AnvilInit = {}): AnvilContext {
  const ctx = {} as AnvilContext
  let snapshot = ''
  before(async function () {
    this.timeout(60_000)
    ctx.anvil = await startAnvil(init)
    ctx.provider = new JsonRpcProvider(ctx.anvil.url, undefined, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 })
    ctx.wallets = ANVIL_KEYS.map(k => new Wallet(k, ctx.provider))
    await setup(ctx)
    snapshot = await ctx.provider.send('evm_snapshot', []) as string
  })
  beforeEach(async () => {
    await ctx.provider.send('evm_revert', [snapshot])
    snapshot = await ctx.provider.send('evm_snapshot', []) as string
  })
  after(async () => {
    ctx.provider?.destroy()
    await ctx.anvil?.stop()
  })
  return ctx
}

/** Moves the chain's clock forward and mines a block. */
export async function increaseTime (provider: JsonRpcProvider, seconds: bigint): Promise<void> {
  await provider.send('evm_increaseTime', [Number(seconds)])
  await provider.send('evm_mine', [])
}

/** Signs a receipt with an ethers wallet (the payer or its hot key); 65-byte signature. */
export async function signTypedReceipt (signer: Wallet, domain: EscrowDomain, receipt: Receipt): Promise<string> {
  return await signer.signTypedData(receiptDomain(domain), { Receipt: [...RECEIPT_TYPES.Receipt] }, receiptMessage(receipt))
}
