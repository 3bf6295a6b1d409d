/**
 * `seedpay audit`: reconciles the escrow's events with a ledger and the escrow's views (paidOut, laneOf,
 * releaseOf, balanceOf) and prints tables (or JSON). Exits 1 on any mismatch, 2 on bad input. Thin: parse and
 * check options, connect, call agent/audit, print.
 */
import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { JsonRpcProvider, Network, isAddress } from 'ethers'
import { EvmChain } from '../chain/index.ts'
import { Ledger } from '../ledger/index.ts'
import { toAddress, type Address } from '../pay/index.ts'
import { reconcile, auditTable, auditJson, type AuditSubject } from '../audit/index.ts'
import { CliError } from './errors.ts'
import { rpcChainId } from './chain-options.ts'

interface AuditOptions { rpc: string, escrow: string, ledger: string, payee?: string, payer?: string, fromBlock: string, json: boolean, fullAddresses: boolean }

export function registerAuditCommand (program: Command): void {
  program.command('audit')
    .description('rebuild every pair\'s payouts and lanes, and every payer\'s free balance, from the escrow\'s events and compare them with a ledger and the escrow; exits 1 on any mismatch')
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint of the chain (e.g. http://127.0.0.1:8545)')
    .requiredOption('--escrow <address>', 'the BandwidthEscrow contract (0x…)')
    .requiredOption('--ledger <path>', 'the agent\'s SQLite ledger file')
    .option('--payee <address>', 'audit what this payee was paid (default: the ledger\'s only payee)')
    .option('--payer <address>', 'audit what this payer paid, against the receipts it signed')
    .option('--from-block <n>', 'first block to read events from (the escrow\'s deployment block is enough)', '0')
    .option('--full-addresses', 'print whole addresses in the table', false)
    .option('--json', 'print the report as JSON', false)
    .action(async (o: AuditOptions) => { await runAudit(o) })
}

async function runAudit (o: AuditOptions): Promise<void> {
  const rpc = checkRpc(o.rpc)
  const escrow = checkAddress('--escrow', o.escrow)
  const fromBlock = Number(o.fromBlock)
  if (!Number.isSafeInteger(fromBlock) || fromBlock < 0) throw new CliError(`--from-block must be a block number ≥ 0, got "${o.fromBlock}"`, 'fix --from-block', 2)
  if (o.payee !== undefined && o.payer !== undefined) throw new CliError('pass --payee or --payer, not both', 'audit one side at a time', 2)
  const ledgerPath = resolve(o.ledger)
  if (!existsSync(ledgerPath) || !statSync(ledgerPath).isFile()) throw new CliError(`no ledger file at ${ledgerPath}`, 'pass the agent\'s ledger with --ledger (a SQLite file)', 2)

  const chainId = await rpcChainId(rpc)
  const provider = new JsonRpcProvider(rpc, Network.from(chainId), { staticNetwork: true })
  let ledger: Ledger | undefined
  try {
    if (await provider.getCode(escrow) === '0x') throw new CliError(`no contract at ${escrow} on ${rpc} (chain ${chainId})`, 'check --escrow and --rpc point at the same chain', 2)
    try {
      ledger = new Ledger({}, { path: ledgerPath })
    } catch (err) {
      throw new CliError(`cannot open ledger ${ledgerPath}: ${(err as Error).message}`, 'pass the agent\'s SQLite ledger file', 2)
    }
    const chain = await EvmChain.create({ provider }, { escrow, chainId })
    const subject = o.payer !== undefined ? { payer: checkAddress('--payer', o.payer) } : { payee: o.payee !== undefined ? checkAddress('--payee', o.payee) : onlyPayee(ledger, chainId, escrow) }
    // pending releases expire by the chain's clock, which a test chain (or a stalled node) may not share with ours
    const latest = await provider.getBlock('latest')
    const now = latest === null ? undefined : BigInt(latest.timestamp)
    const report = await reconcile({ chain, ledger }, subject satisfies AuditSubject, { fromBlock, ...(now !== undefined ? { now } : {}) })
    if (o.json) {
      process.stdout.write(JSON.stringify(auditJson(report), null, 2) + '\n')
    } else {
      const who = 'payee' in report.subject ? `payee ${report.subject.payee}` : `payer ${report.subject.payer}`
      process.stdout.write(`audit of ${who} on escrow ${report.escrow} (chain ${report.chainId}), blocks ${report.fromBlock}–${report.toBlock}\n\n`)
      process.stdout.write(auditTable(report, { fullAddresses: o.fullAddresses }) + '\n')
      process.stdout.write(report.ok ? '\n✓ the ledger matches the chain\n' : `\n✗ ${report.mismatches.length} mismatch(es) between the ledger, the events and the escrow\n`)
    }
    process.exitCode = report.ok ? 0 : 1
  } finally {
    ledger?.close()
    provider.destroy()
  }
}

/** The ledger's one payee on this escrow, when --payee is not given. */
function onlyPayee (ledger: Ledger, chainId: bigint, escrow: Address): Address {
  const payees = new Set(ledger.channels()
    .filter(c => c.role === 'payee' && c.key.chainId === chainId && c.key.escrow === escrow)
    .map(c => c.key.payee))
  const [only] = payees
  if (payees.size === 1 && only !== undefined) return only
  if (payees.size === 0) throw new CliError(`the ledger has no payee channels on escrow ${escrow} (chain ${chainId})`, 'pass --payee or --payer, or check --escrow and --ledger', 2)
  throw new CliError(`the ledger holds payee channels for ${payees.size} accounts`, `pass one with --payee (${[...payees].join(', ')})`, 2)
}

function checkAddress (flag: string, value: string): Address {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new CliError(`${flag} "${value}" is not a 0x address`, `write ${flag} as 0x followed by 40 hex digits`, 2)
  if (!isAddress(value)) throw new CliError(`${flag} "${value}" fails its EIP-55 checksum (mixed case)`, 'copy the address again, or write it all lowercase', 2)
  return toAddress(value)
}

function checkRpc (url: string): string {
  let u: URL
  try { u = new URL(url) } catch { throw new CliError(`--rpc "${url}" is not a URL`, 'write it like http://127.0.0.1:8545', 2) }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`--rpc "${url}" is not http(s)://`, 'write it like http://127.0.0.1:8545', 2)
  return url
}

