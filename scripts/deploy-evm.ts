/**
 * npm run deploy:evm — deploys the NativeBandwidthEscrow (BTT as the chain's coin) on an EVM network through
 * ethers, from the tronbox-built artifact, and writes deployments/<network>.json for every command to read.
 *
 *   export BTTC_PRIVATE_KEY=<hex key of an account holding BTT for gas>
 *   npm run deploy:evm -- --network donau            (BitTorrent Chain's testnet; bttc for mainnet)
 *   npm run deploy:evm -- --network local-bttc --rpc http://127.0.0.1:8545
 *
 * Options: --rpc <url> (default: the network's public endpoint), --withdrawal-delay <seconds> (default 86400),
 * --force (replace an existing deployments file; without it an existing one is never overwritten).
 * Checks that the node is the network's chain (eth_chainId) and, after deploying, that the escrow's
 * domainSeparator() is the one receipts will be signed for. Prints one JSON object last. docs/deploy-bttc.md.
 * Exits 2 on bad input (one line saying what to do), 1 when the chain failed.
 */
import { existsSync } from 'node:fs'
import { JsonRpcProvider, Network, Wallet, ZeroAddress } from 'ethers'
import { deployEscrow, deploymentRecord, DEFAULT_WITHDRAWAL_DELAY } from '../agent/chain/deploy.ts'
import { deploymentPath, writeDeployment } from '../agent/chain/deployments.ts'
import { EvmChain } from '../agent/chain/evm-chain.ts'
import { NETWORK_DEFAULTS } from '../agent/cli/chain-options.ts'
import { rpcChainId } from '../agent/cli/json-rpc.ts'

/** The EVM networks with a native-BTT escrow: their chain ids and default nodes are the CLI's. */
const NATIVE_NETWORKS = ['local-bttc', 'donau', 'bttc'] as const
const NETWORKS: Record<string, { chainId: bigint, rpc: string }> = Object.fromEntries(NATIVE_NETWORKS.map(n => {
  const d = NETWORK_DEFAULTS[n]
  return [n, { chainId: d.chainId!, rpc: d.rpc! }]
}))

class UsageError extends Error {}

interface Args { network: string, rpc: string, chainId: bigint, delay: bigint, force: boolean }

function parseArgs (argv: readonly string[]): Args {
  let network: string | undefined
  let rpc: string | undefined
  let delay = DEFAULT_WITHDRAWAL_DELAY
  let force = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new UsageError(`${a} needs a value`)
      return v
    }
    if (a === '--network') network = value()
    else if (a === '--rpc') rpc = value()
    else if (a === '--withdrawal-delay') {
      const v = value()
      if (!/^[1-9][0-9]*$/.test(v)) throw new UsageError(`--withdrawal-delay "${v}" is not a whole number of seconds above 0`)
      delay = BigInt(v)
    } else if (a === '--force') force = true
    else throw new UsageError(`unknown option ${a}`)
  }
  if (network === undefined) throw new UsageError(`--network is required: one of ${Object.keys(NETWORKS).join(', ')}`)
  const known = NETWORKS[network]
  if (known === undefined) throw new UsageError(`--network "${network}" is not one of ${Object.keys(NETWORKS).join(', ')} (TRON networks deploy with tronbox: docs/deploy-nile.md)`)
  return { network, rpc: rpc ?? known.rpc, chainId: known.chainId, delay, force }
}

async function main (): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const key = process.env['BTTC_PRIVATE_KEY']?.trim()
  if (key === undefined || key === '') throw new UsageError('BTTC_PRIVATE_KEY is not set: export the hex private key of an account holding BTT for gas')
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new UsageError('BTTC_PRIVATE_KEY is not a private key (64 hex digits)')
  const path = deploymentPath(args.network)
  if (existsSync(path) && !args.force) throw new UsageError(`${path} exists: pass --force to replace it (the escrow it names keeps its money either way)`)

  const chainId = await rpcChainId(args.rpc)
  if (chainId !== args.chainId) throw new UsageError(`${args.rpc} is chain ${chainId}, not ${args.network} (${args.chainId}): pass the network's node with --rpc`)
  const provider = new JsonRpcProvider(args.rpc, Network.from(chainId), { staticNetwork: true, pollingInterval: 500 })
  try {
    const signer = new Wallet(key.startsWith('0x') ? key : `0x${key}`, provider)
    const escrow = await deployEscrow(signer, { asset: 'native', withdrawalDelay: args.delay })
    const client = await EvmChain.create({ provider }, { escrow: escrow.address, chainId })
    // the escrow computes its own domain: it must be the one every payer will sign receipts for
    await client.checkReceiptDomain()
    const written = writeDeployment(deploymentRecord({ network: args.network, chainId, token: ZeroAddress, testToken: false, withdrawalDelay: args.delay }, escrow))
    process.stdout.write(`NativeBandwidthEscrow ${escrow.address} on ${args.network} (chain ${chainId}), block ${escrow.blockNumber}, ${escrow.gasUsed} gas\nwrote ${written}\n`)
    process.stdout.write(JSON.stringify({ network: args.network, chainId: Number(chainId), escrow: escrow.address, block: escrow.blockNumber, gasUsed: Number(escrow.gasUsed), txId: escrow.txId, deployment: written }) + '\n')
  } finally {
    provider.destroy()
  }
}

/** One line for a person: ethers' short message (its full one carries the whole signed transaction), or what to do. */
function describe (err: unknown): string {
  const e = err as { code?: unknown, shortMessage?: unknown, message?: unknown }
  if (e.code === 'INSUFFICIENT_FUNDS') return 'the BTTC_PRIVATE_KEY account cannot pay for the deployment\'s gas: send it BTT on this network first'
  if (typeof e.shortMessage === 'string') return e.shortMessage
  return err instanceof Error ? err.message.split('\n')[0]! : String(err)
}

// `npm run deploy:evm | head`: a closed pipe must not turn a finished deployment into a crash
process.stdout.on('error', () => {})

main().catch((err: unknown) => {
  process.stderr.write(`error: ${describe(err)}\n`)
  process.exitCode = err instanceof UsageError || (err as { code?: unknown }).code === 'INSUFFICIENT_FUNDS' ? 2 : 1
})
