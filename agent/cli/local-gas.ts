/**
 * Gas for a new key on the local chain. A key made with `seedpay key new` holds none of the chain's coin, so its
 * first transaction (mint, deposit, a seeder's settlement) would fail with "cannot pay for gas"; on `--network
 * local` — anvil, whose coin and TestBTT are free — an account that sends transactions is topped up with
 * `anvil_setBalance` first. Other nodes refuse that method; then nothing changes.
 */
import type { JsonRpcProvider } from 'ethers'

/** What an account on anvil is given when it holds less than a tenth of it. */
export const LOCAL_GAS_WEI = 100n * 10n ** 18n

/** Gives `account` LOCAL_GAS_WEI on anvil if it holds less than a tenth of it; returns whether it did. */
export async function topUpLocalGas (provider: JsonRpcProvider, account: string): Promise<boolean> {
  if (await provider.getBalance(account) >= LOCAL_GAS_WEI / 10n) return false
  try {
    await provider.send('anvil_setBalance', [account, '0x' + LOCAL_GAS_WEI.toString(16)])
    return true
  } catch {
    return false
  }
}
