/**
 * `seedpay account --all-networks`: one account on every network it could be funded on — each network with a
 * deployments file (deployments/<network>.json), read on that network's default node, all at once. A network
 * whose node does not answer, or answers for another chain, is a row with the reason, not a failed command:
 * the point is to see where the money is.
 */
import { existsSync } from 'node:fs'
import { getAddress } from 'ethers'
import { deploymentPath } from '../chain/deployments.ts' // not ../chain/index.ts: see chain-options.ts
import { toTronAddress } from '../chain/tron-address.ts'
import type { Address } from '../pay/index.ts'
import { formatBtt } from './amounts.ts'
import { explainChainError } from './chain-errors.ts'
import { NETWORKS, type ChainFlags, type NetworkName, type Out } from './chain-flags.ts'
import { loadAccount, NETWORK_DEFAULTS, openChain, resolveChainFlags } from './chain-options.ts'
import { renderTable } from '../audit/format.ts'
import { checkAddress, print } from './command-helpers.ts'
import { CliError } from './errors.ts'

/** How long one network may take to answer before its row says so; the others are not held up. */
const NETWORK_TIMEOUT_MS = 15_000

interface NetworkRow {
  network: NetworkName
  chainId: string | null
  escrow: string | null
  /** 'token' (TRC-20/ERC-20 BTT) or 'native' (the chain's coin). */
  asset: 'token' | 'native' | null
  walletBalance: string | null
  /** What the wallet column counts: BTT as a token, or the chain's own coin (BTT on BitTorrent Chain). */
  walletUnit: string | null
  escrowBalance: string | null
  withdrawing: string | null
  error: string | null
}

/** `seedpay account --all-networks [--address]`. */
export async function accountEverywhere (o: ChainFlags & Out & { address?: string }): Promise<void> {
  for (const [flag, v] of [['--rpc', o.rpc], ['--tron', o.tron], ['--escrow', o.escrow]] as const) {
    if (v !== undefined) throw new CliError(`--all-networks reads each network's own deployment and node; ${flag} names one`, `drop ${flag}, or drop --all-networks and pass --network`, 2)
  }
  const keys = { ...(o.key !== undefined ? { key: o.key } : {}), ...(o.passphraseFile !== undefined ? { passphraseFile: o.passphraseFile } : {}) }
  const account = o.address !== undefined ? checkAddress('--address', o.address) : await loadAccount(o.keyFile, keys)
  if (account === undefined) throw new CliError('this command needs your account', 'pass --address <address>, --key <name> or --key-file <path>', 2)
  const networks = NETWORKS.filter(n => existsSync(deploymentPath(NETWORK_DEFAULTS[n].deployment)))
  let timedOut = false
  const rows = await Promise.all(networks.map(async network => await withTimeout(readNetwork(network, account, o), () => {
    timedOut = true
    return failedRow(network, `no answer within ${NETWORK_TIMEOUT_MS / 1000} s`)
  })))
  const funded = rows.filter(r => r.error === null && (r.escrowBalance !== '0' || r.walletBalance !== '0'))
  print(o, { account, accountBase58: toTronAddress(account), networks: rows }, [
    `account ${account} (${toTronAddress(account)})`,
    '',
    networks.length === 0
      ? 'no network has a deployments file: deploy an escrow first (npm run demo, tronbox migrate, npm run deploy:evm)'
      : renderTable(['network', 'chain', 'escrow', 'wallet', 'in escrow', 'withdrawing', 'read'], rows.map(r => r.error !== null
        ? [r.network, r.chainId ?? '–', r.escrow ?? '–', '–', '–', '–', `✗ ${r.error}`]
        : [r.network, r.chainId!, r.escrow!, `${r.walletBalance!} ${r.walletUnit!}`, `${r.escrowBalance!} BTT`, r.withdrawing!, '✓'])),
    '',
    `funded on ${funded.length} of ${networks.length} network(s) with a deployment`
  ].join('\n'))
  // A node that never answered may still hold a socket open: the answer is printed, so do not wait for it.
  // Exit once stdout is flushed: to a pipe it is written asynchronously, and exiting at once could cut it short.
  if (timedOut) process.stdout.write('', () => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0))
}

async function readNetwork (network: NetworkName, account: Address, o: ChainFlags): Promise<NetworkRow> {
  let target
  try {
    // the key is not needed to read balances: only the network and its deployment
    target = resolveChainFlags({ network, ...(o.ledger !== undefined ? { ledger: o.ledger } : {}) })
  } catch (err) {
    return failedRow(network, (err as Error).message)
  }
  try {
    const s = await openChain(target)
    try {
      const c = s.client
      const [asset, wallet, escrowBalance, withdrawal] = await Promise.all([c.asset(), c.tokenBalanceOf(account), c.balanceOf(account), c.pendingWithdrawal(account)])
      const unit = asset === 'native' ? `${NETWORK_DEFAULTS[network].evmCoin ?? 'coin'} (coin)` : 'BTT'
      return {
        network,
        chainId: s.chainId.toString(),
        escrow: c.escrow,
        asset,
        walletBalance: formatBtt(wallet),
        walletUnit: unit,
        escrowBalance: formatBtt(escrowBalance),
        withdrawing: withdrawal.amount === 0n ? 'nothing' : `${formatBtt(withdrawal.amount)} BTT`,
        error: null
      }
    } finally {
      s.close()
    }
  } catch (err) {
    const explained = explainChainError(err)
    return { ...failedRow(network, (explained as Error).message), escrow: getAddress(target.escrow), chainId: target.chainId?.toString() ?? null }
  }
}

function failedRow (network: NetworkName, error: string): NetworkRow {
  return { network, chainId: null, escrow: null, asset: null, walletBalance: null, walletUnit: null, escrowBalance: null, withdrawing: null, error }
}

async function withTimeout<T> (p: Promise<T>, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<T>(resolve => { timer = setTimeout(() => { resolve(onTimeout()) }, NETWORK_TIMEOUT_MS) })
  try {
    return await Promise.race([p, late])
  } finally {
    clearTimeout(timer)
  }
}
