/**
 * A local chain for tests that drive the real `seedpay` CLI: a fresh anvil with TestBTT and the escrow, a
 * deployer-side EvmChain (to mint and read), key files written as a person would (mode 600), and the
 * `--rpc … --escrow …` arguments every command takes.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { JsonRpcProvider, Wallet } from 'ethers'
import { EvmChain, type Deployment } from '../../agent/chain/index.ts'
import { startAnvil, ANVIL_KEYS, deployLocal, type Anvil } from './index.ts'
import { toAddress, type Address } from '../../agent/pay/index.ts'

export interface CliChain {
  anvil: Anvil
  provider: JsonRpcProvider
  deployment: Deployment
  /** anvil's account #0 (the deployer) on the escrow: mints TestBTT, reads balances and payouts. */
  chain: EvmChain
  /** `--rpc <anvil> --escrow <escrow>`. */
  args: string[]
  /** Writes `key` to `<dir>/<name>.key` with mode 600; returns the path. */
  keyFile: (name: string, key: string) => Promise<string>
  stop: () => Promise<void>
}

export async function startCliChain (dir: string): Promise<CliChain> {
  const anvil = await startAnvil()
  const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
  try {
    const deployment = await deployLocal(new Wallet(ANVIL_KEYS[0], provider), { chainId: anvil.chainId })
    const chain = await EvmChain.create({ provider, signer: new Wallet(ANVIL_KEYS[0], provider) }, { escrow: deployment.escrow.hex, chainId: anvil.chainId })
    return {
      anvil, provider, deployment, chain,
      args: ['--rpc', anvil.url, '--escrow', deployment.escrow.hex],
      keyFile: async (name, key) => {
        const path = join(dir, `${name}.key`)
        await writeFile(path, key + '\n', { mode: 0o600 })
        return path
      },
      stop: async () => {
        provider.destroy()
        await anvil.stop()
      }
    }
  } catch (err) {
    provider.destroy()
    await anvil.stop()
    throw err
  }
}

/** The address of a hex private key. */
export function addressOfKey (key: string): Address {
  return toAddress(new Wallet(key).address)
}
