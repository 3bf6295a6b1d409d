/** Puts test money in the escrow for a client's account, whatever the escrow holds. Dev tooling: it mints TestBTT. */
import type { EvmChain } from '../../agent/chain/evm-chain.ts'

/** What `depositTestFunds` needs of a client (EvmChain and TronChain both have it). */
export type FundableClient = Pick<EvmChain, 'account' | 'asset' | 'mintTestBTT' | 'approve' | 'deposit'>

/**
 * Deposits `amount` for the client's account: TestBTT minted and approved first for a token escrow; for the
 * native escrow, coins the account already holds (anvil's dev accounts have plenty), sent with the call.
 */
export async function depositTestFunds (client: FundableClient, amount: bigint): Promise<void> {
  if (await client.asset() === 'token') {
    await client.mintTestBTT(client.account!, amount)
    await client.approve(amount)
  }
  await client.deposit(amount)
}
