/**
 * The chain options every paying command shares: which network (deployments/<network>.json), which node
 * (--rpc for an EVM JSON-RPC chain such as a local anvil, --tron for a TRON full node), which escrow, which
 * key, which ledger. Validated with zod (zod/mini: see chain/deployments.ts); every bad input becomes a CliError saying what was wrong and what to
 * do (exit 2). `openChain` turns them into an EscrowClient. The options themselves are declared in chain-flags.ts.
 */
import { resolve } from 'node:path'
import { JsonRpcProvider, Network } from 'ethers'
import * as z from 'zod/mini'
// chain's modules themselves, not ../chain/index.ts: through the index every command's chunk would load TronChain
// and tronweb, the largest library, which only a TRON node needs (esbuild's code splitting, scripts/build.ts)
import { EvmChain } from '../chain/evm-chain.ts'
import { NativeWallet } from '../chain/native-wallet.ts'
import { readDeployment, deploymentPath, DeploymentError, type Deployment } from '../chain/deployments.ts'
import { toEvmAddress } from '../chain/tron-address.ts'
import type { TronChain } from '../chain/tron-chain.ts'
import { BTTC_CHAIN_ID, DONAU_CHAIN_ID, NILE_CHAIN_ID, TRON_MAINNET_CHAIN_ID, TRX_FEE_COIN, evmFeeCoin, toAddress, type Address, type FeeCoin } from '../pay/index.ts'
import { addressOfKey } from '../pay/key-address.ts'
import { ReceiptDomainMismatchError } from '../chain/errors.ts'
import { KeyError, findKey, keyFromText, keystoreAddress, looksLikeKeystore, readSecretFile, type PassphraseOptions } from '../keys/index.ts'
import { NETWORKS, type ChainFlags, type NetworkName } from './chain-flags.ts'
import { asCliError, CliError } from './errors.ts'
import { rpcChainId } from './json-rpc.ts'
import { topUpLocalGas } from './local-gas.ts'

/**
 * Each network: its deployments file, default node, receipt-domain chain id, and how one deploys there
 * (`local`: an anvil the demo deploys on, where the CLI also tops up a key's gas; otherwise the doc to follow).
 */
export const NETWORK_DEFAULTS: Record<NetworkName, { deployment: string, rpc?: string, tron?: string, chainId?: bigint, local?: true, deployDoc?: string, evmCoin?: string }> = {
  // deployLocal (the demo, tests) writes deployments/development.json; anvil's gas is paid in its own ETH
  local: { deployment: 'development', rpc: 'http://127.0.0.1:8545', local: true, evmCoin: 'ETH' },
  nile: { deployment: 'nile', tron: 'https://nile.trongrid.io', chainId: NILE_CHAIN_ID, deployDoc: 'docs/deploy-nile.md' },
  mainnet: { deployment: 'mainnet', tron: 'https://api.trongrid.io', chainId: TRON_MAINNET_CHAIN_ID, deployDoc: 'docs/deploy-nile.md' },
  // the native escrow on anvil with BTTC's chain id (npm run demo -- --network local-bttc, npm run deploy:evm)
  'local-bttc': { deployment: 'local-bttc', rpc: 'http://127.0.0.1:8545', chainId: BTTC_CHAIN_ID, local: true, evmCoin: 'BTT' },
  // BitTorrent Chain's public RPC endpoints; not reachable from this machine
  donau: { deployment: 'donau', rpc: 'https://pre-rpc.bt.io', chainId: DONAU_CHAIN_ID, deployDoc: 'docs/deploy-bttc.md', evmCoin: 'BTT' },
  bttc: { deployment: 'bttc', rpc: 'https://rpc.bt.io', chainId: BTTC_CHAIN_ID, deployDoc: 'docs/deploy-bttc.md', evmCoin: 'BTT' }
}

/** The coin a target's transaction fees are paid in: TRX (sun) on TRON, the EVM network's coin (wei). */
export function feeCoin (target: Pick<ChainTarget, 'kind' | 'network'>): FeeCoin {
  return target.kind === 'tron' ? TRX_FEE_COIN : evmFeeCoin(NETWORK_DEFAULTS[target.network].evmCoin ?? 'ETH')
}

const hints: Record<string, string> = {
  network: `use --network ${NETWORKS.join(', ')}`,
  rpc: 'write it like http://127.0.0.1:8545',
  tron: 'write it like https://nile.trongrid.io',
  escrow: 'pass the escrow as 0x followed by 40 hex digits, or as a T… base58 address',
  keyFile: 'pass the path of a file holding a hex private key or a keystore',
  key: 'pass a key name or address from `seedpay key list`, or --key-file',
  passphraseFile: 'pass the path of a file holding the passphrase',
  ledger: 'pass a file path for the SQLite ledger'
}

const httpUrl = (flag: string): z.ZodMiniString => z.string().check(z.refine(v => {
  try { return ['http:', 'https:'].includes(new URL(v).protocol) } catch { return false }
}, { error: iss => `${flag} "${String(iss.input)}" is not an http(s):// URL` }))

const nonEmpty = (error?: string): z.ZodMiniString => z.string().check(z.minLength(1, error !== undefined ? { error } : undefined))

const FlagsSchema = z.object({
  network: z.enum(NETWORKS, { error: iss => `--network "${String(iss.input)}" is not one of ${NETWORKS.join(', ')}` }),
  rpc: z.optional(httpUrl('--rpc')),
  tron: z.optional(httpUrl('--tron')),
  tronApiKey: z.optional(nonEmpty()),
  escrow: z.optional(z.pipe(z.string(), z.transform((v, ctx) => {
    try { return toAddress(toEvmAddress(v)) } catch (err) {
      const why = /: ([^:]+)$/.exec((err as Error).message)?.[1]
      ctx.issues.push({ code: 'custom', message: `--escrow "${v}" is not an address${why !== undefined ? ` (${why})` : ''}`, input: v })
      return z.NEVER
    }
  }))),
  keyFile: z.optional(nonEmpty('--key-file is empty')),
  key: z.optional(nonEmpty('--key is empty')),
  passphraseFile: z.optional(nonEmpty('--passphrase-file is empty')),
  ledger: z.optional(nonEmpty('--ledger is empty'))
}).check(
  z.refine(f => f.rpc === undefined || f.tron === undefined, { error: 'pass --rpc or --tron, not both', path: ['tron'] }),
  z.refine(f => f.key === undefined || f.keyFile === undefined, { error: 'pass --key or --key-file, not both', path: ['key'] })
)

export interface ChainTarget {
  network: NetworkName
  kind: 'evm' | 'tron'
  url: string
  tronApiKey?: string
  escrow: Address
  /** From the deployments file or the network; an EVM node is asked with eth_chainId. */
  chainId?: bigint
  /** The block that created the escrow (where event scans may start). */
  escrowBlock?: number
  /** `--ledger`, resolved; absent: the account's default (ledger-file.ts `ledgerPathFor`). */
  ledger?: string
  keyFile?: string
  /** `--key`: a key store entry's name or address (used when there is no --key-file). */
  key?: string
  passphraseFile?: string
}

/** Validates the flags and resolves the defaults (deployments file, node, ledger path). Reads no chain. */
export function resolveChainFlags (flags: ChainFlags): ChainTarget {
  const parsed = FlagsSchema.safeParse(flags)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = String(issue?.path[0] ?? '')
    throw new CliError(issue?.message ?? 'bad chain options', hints[field] ?? 'check the chain options (--help)', 2)
  }
  const f = parsed.data
  const defaults = NETWORK_DEFAULTS[f.network]
  let dep: Deployment | undefined
  try {
    dep = readDeployment(defaults.deployment)
  } catch (err) {
    if (!(err instanceof DeploymentError)) throw err
    // a missing or broken deployments file only matters when it is what names the escrow
    if (f.escrow === undefined) {
      throw new CliError(`no escrow for --network ${f.network}: ${err.message}`,
        `pass --escrow <address>, or deploy first (${deployHint(f.network)})`, 2)
    }
  }
  const kind = f.rpc !== undefined ? 'evm' : f.tron !== undefined ? 'tron' : defaults.rpc !== undefined ? 'evm' : 'tron'
  const url = f.rpc ?? f.tron ?? defaults.rpc ?? defaults.tron ?? ''
  const escrow = f.escrow ?? toAddress(dep?.escrow.hex ?? '')
  // a deployments file describes its escrow only: with another --escrow its chain id and block do not apply
  const sameEscrow = dep !== undefined && toAddress(dep.escrow.hex) === escrow
  const chainId = sameEscrow ? dep?.chainId : defaults.chainId
  const escrowBlock = sameEscrow ? dep?.escrowBlock : undefined
  return {
    network: f.network,
    kind,
    url,
    ...(f.tronApiKey !== undefined ? { tronApiKey: f.tronApiKey } : {}),
    escrow,
    ...(chainId !== undefined ? { chainId } : {}),
    ...(escrowBlock !== undefined ? { escrowBlock } : {}),
    ...(f.ledger !== undefined ? { ledger: resolve(f.ledger) } : {}),
    ...(f.keyFile !== undefined ? { keyFile: f.keyFile } : {}),
    ...(f.key !== undefined ? { key: f.key } : {}),
    ...(f.passphraseFile !== undefined ? { passphraseFile: f.passphraseFile } : {})
  }
}

/** Where else `loadKey` may find the key, and the keystore passphrase: ChainTarget fits. */
export interface KeySources extends PassphraseOptions {
  /** `--key`: a key store entry, used when `keyFile` is undefined. */
  key?: string
}

/**
 * The account's private key: from `keyFile` (hex or keystore JSON, mode 600), else `--key` (the key store),
 * else env SEEDPAY_KEY (hex); undefined when none is given. A keystore's passphrase comes from
 * --passphrase-file, SEEDPAY_PASSPHRASE or a prompt on the terminal (agent/keys/passphrase.ts).
 * @throws CliError (exit 2) for a missing, unreadable or group/world-readable file, one that holds no key, a
 *   wrong passphrase, or no passphrase to be had
 */
export async function loadKey (keyFile: string | undefined, what = '--key-file', sources: KeySources = {}): Promise<string | undefined> {
  const passphrase = sources.passphraseFile !== undefined ? { passphraseFile: sources.passphraseFile } : {}
  try {
    if (keyFile !== undefined) {
      let text: string
      try {
        text = readSecretFile(keyFile, what)
      } catch (err) {
        if (err instanceof KeyError && err.message === `${what} ${keyFile} does not exist`) {
          throw new CliError(err.message, 'pass the file holding your key, or make one with `seedpay key new` (then use --key <name>)', 2)
        }
        throw err
      }
      return await keyFromText(text, keyFile, passphrase)
    }
    if (sources.key !== undefined) {
      const stored = findKey(sources.key)
      return await keyFromText(readSecretFile(stored.path, '--key'), `--key ${sources.key} (${stored.path})`, passphrase)
    }
    const env = process.env['SEEDPAY_KEY']
    if (env === undefined || env.trim() === '') return undefined
    return await keyFromText(env, 'SEEDPAY_KEY')
  } catch (err) {
    throw asCliError(err)
  }
}

/**
 * The account the key sources name, without decrypting anything: commands that only read (account, lane list,
 * audit) need the address, not the key, so they ask for no passphrase. A keystore's own `address` field names it
 * (a keystore without one is decrypted after all); undefined when no key is given.
 * @throws CliError (exit 2) as `loadKey` does
 */
export async function loadAccount (keyFile: string | undefined, sources: KeySources = {}): Promise<Address | undefined> {
  try {
    const text = keyFile !== undefined ? readSecretFile(keyFile, '--key-file') : sources.key !== undefined ? readSecretFile(findKey(sources.key).path, '--key') : undefined
    const named = text !== undefined && looksLikeKeystore(text) ? keystoreAddress(text) : undefined
    if (named !== undefined) return named
  } catch {
    // a missing, unreadable or too-open file: loadKey reports it in the words every command uses
  }
  const key = await loadKey(keyFile, '--key-file', sources)
  return key === undefined ? undefined : addressOf(key)
}

/** The key flag a hint should repeat: the one the user gave (`--key payer`, `--key-file p.key`), else a placeholder. */
export function keyFlag (target: Pick<ChainTarget, 'key' | 'keyFile'>): string {
  return target.key !== undefined ? `--key ${target.key}` : target.keyFile !== undefined ? `--key-file ${target.keyFile}` : '--key <your key>'
}

/** The address of a hex private key (0x-hex, lowercase). */
export function addressOf (privateKey: string): Address {
  return addressOfKey(privateKey)
}

function deployHint (network: NetworkName): string {
  const d = NETWORK_DEFAULTS[network]
  if (d.local === true) return `npm run demo${network === 'local' ? '' : ` -- --network ${network}`} writes ${deploymentPath(d.deployment)}`
  return d.deployDoc ?? 'docs/deploy-nile.md'
}

/**
 * Refuses an escrow whose receipt domain is not the one we would sign for (a TRON node taken for Nile, an RPC of
 * another chain), before any command signs or sends anything.
 */
async function checkReceiptDomain (client: EvmChain | TronChain, target: ChainTarget): Promise<void> {
  try {
    await client.checkReceiptDomain()
  } catch (err) {
    if (!(err instanceof ReceiptDomainMismatchError)) throw err
    throw new CliError(`${err.message}, on ${target.url}`, `check --network (${target.network}) and the node: they must be the chain the escrow was deployed on`, 2)
  }
}

/** An open chain connection: the EscrowClient plus what commands print and need. */
export interface ChainSession {
  client: EvmChain | TronChain
  target: ChainTarget
  chainId: bigint
  /** The key's account, when a key was given. */
  account: Address | undefined
  close: () => void
}

/**
 * The highest fee limit a TRON write may set, in sun: `SEEDPAY_FEE_LIMIT_TRX` (default 300 TRX). Each write's own
 * limit is its energy estimate at today's price plus a margin; this only caps it.
 */
function maxFeeLimitSun (): number {
  const text = process.env['SEEDPAY_FEE_LIMIT_TRX'] ?? '300'
  const trx = Number(text)
  if (!(Number.isFinite(trx) && trx > 0 && trx <= 15_000)) {
    throw new CliError(`SEEDPAY_FEE_LIMIT_TRX "${text}" is not a number of TRX between 0 and 15000`, 'set it like SEEDPAY_FEE_LIMIT_TRX=300, or unset it', 2)
  }
  return Math.round(trx * 1_000_000)
}

/**
 * Connects to the escrow. With `privateKey` the client can send transactions from that account.
 * On an EVM node, checks the chain id against the deployments file and that the escrow has code.
 */
export async function openChain (target: ChainTarget, privateKey?: string): Promise<ChainSession> {
  if (target.kind === 'tron') {
    // tronweb is the largest library the CLI has: loaded only when a command talks to a TRON node
    const { TronChain } = await import('../chain/tron-chain.ts')
    const chainId = target.chainId ?? NILE_CHAIN_ID
    const client = TronChain.connect({ fullHost: target.url, ...(target.tronApiKey !== undefined ? { apiKey: target.tronApiKey } : {}) },
      { escrow: target.escrow, chainId, maxFeeLimitSun: maxFeeLimitSun(), ...(privateKey !== undefined ? { privateKey } : {}) })
    await checkReceiptDomain(client, target)
    return { client, target, chainId, account: privateKey === undefined ? undefined : addressOf(privateKey), close: () => {} }
  }
  const chainId = await rpcChainId(target.url)
  if (target.chainId !== undefined && target.chainId !== chainId) {
    throw new CliError(`${target.url} is chain ${chainId}, but the deployment of --network ${target.network} is on chain ${target.chainId}`, 'point --rpc at the chain the escrow was deployed on, or pass --escrow', 2)
  }
  // batchStallTime 0: a command waits for its answers, so the calls it makes at once go out in one batch at
  // once, not after ethers' default 10 ms wait for more (three rounds of calls: 30 ms of a ~0.2 s `account`)
  const provider = new JsonRpcProvider(target.url, Network.from(chainId), { staticNetwork: true, pollingInterval: 250, cacheTimeout: -1, batchStallTime: 0 })
  try {
    if (await provider.getCode(target.escrow) === '0x') throw new CliError(`no contract at ${target.escrow} on ${target.url} (chain ${chainId})`, 'check --escrow and --rpc point at the same chain (a restarted anvil forgets its contracts)', 2)
    if (privateKey !== undefined && NETWORK_DEFAULTS[target.network].local === true) await topUpLocalGas(provider, addressOf(privateKey))
    const signer = privateKey === undefined ? undefined : new NativeWallet(privateKey, provider)
    const client = await EvmChain.create({ provider, ...(signer !== undefined ? { signer } : {}) }, { escrow: target.escrow, chainId })
    await checkReceiptDomain(client, target)
    return { client, target, chainId, account: privateKey === undefined ? undefined : addressOf(privateKey), close: () => { provider.destroy() } }
  } catch (err) {
    provider.destroy()
    throw err
  }
}
