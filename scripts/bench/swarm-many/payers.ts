/**
 * Funded payer keys for the paid swarm: anvil has ten test keys, a swarm needs one account per leecher. Each is a
 * fresh random key; the deployer mints TestBTT once and deposits into the escrow for every payer (`depositFor`),
 * and `anvil_setBalance` gives each payer gas (a leecher that reserves a lane sends a transaction).
 */
import { Wallet } from 'ethers'
import { BTT_DECIMALS } from '../../../agent/pay/index.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { addressOfKey, type CliChain } from '../../../devtools/chain/cli-chain.ts'

/** Gas for a payer's own transactions on the local chain: 10 ETH-units, far more than a few reserves cost. */
const GAS_WEI = 10n * 10n ** 18n

/** Writes `count` funded payer key files (mode 600) and returns their paths. */
export async function fundPayers (chain: CliChain, count: number, depositBtt: bigint): Promise<string[]> {
  const units = depositBtt * 10n ** BigInt(BTT_DECIMALS)
  const deployer = addressOfKey(ANVIL_KEYS[0])
  await chain.chain.mintTestBTT(deployer, units * BigInt(count))
  await chain.chain.approve(units * BigInt(count))
  const files: string[] = []
  for (let i = 0; i < count; i++) {
    const wallet = Wallet.createRandom()
    await chain.provider.send('anvil_setBalance', [wallet.address, '0x' + GAS_WEI.toString(16)])
    await chain.chain.depositFor(wallet.address, units)
    files.push(await chain.keyFile(`payer-${i}`, wallet.privateKey))
  }
  return files
}
