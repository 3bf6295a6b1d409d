/**
 * Nile smoke test: the escrow on a real TRON network, through TronChain.
 *
 *   export TRON_PRIVATE_KEY=<hex key of a Nile account with TRX>   (required; see docs/deploy-nile.md)
 *   npm run nile-smoke
 *
 * Uses deployments/nile.json (runs `npx tronbox migrate --network nile` first when it is missing), mints
 * TestBTT, deposits for itself and (depositFor) a second, throwaway payer, signs receipts for a throwaway
 * payee, settles one alone and two in a batch (as a relayer: anyone may settle), reads the events back with
 * TronChain.eventsSince, checks them against paidOut, and prints the energy each call used.
 * Opt-in and never run in CI: it spends Nile TRX (test money) and needs the network.
 *
 * Environment: TRON_FULL_HOST (default https://nile.trongrid.io), TRONGRID_API_KEY (optional),
 * SEEDPAY_NETWORK (default nile; must name a deployment with TestBTT), SEEDPAY_FEE_LIMIT_TRX (default 300).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Wallet, formatUnits } from 'ethers'
import { TronChain } from '../agent/chain/tron-chain.ts'
import { deploymentPath, readDeployment, type Deployment } from '../agent/chain/deployments.ts'
import { toTronAddress } from '../agent/chain/tron-address.ts'
import type { EscrowEvent, SignedReceipt, WriteResult } from '../agent/chain/client.ts'
import { receiptDomain, receiptMessage, RECEIPT_TYPES, type Receipt } from '../agent/pay/receipt.ts'

const E18 = 10n ** 18n
const MiB = 1n << 20n

export interface SmokeInit {
  /** The funded account that sends every transaction. */
  privateKey: string
  deployment: Deployment
  /** A TronChain for `privateKey` (tests pass one bound to a local node). */
  chain: TronChain
  log?: (line: string) => void
}

export interface SmokeCall {
  call: string
  txId: string
  energy: bigint
  feeSun: bigint
}

export interface SmokeReport {
  calls: SmokeCall[]
  events: EscrowEvent[]
  payee: string
  secondPayer: string
}

export class SmokeCheckError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'SmokeCheckError'
  }
}

function check (ok: boolean, message: string): void {
  if (!ok) throw new SmokeCheckError(message)
}

async function sign (wallet: Pick<Wallet, 'signTypedData'>, dep: Deployment, receipt: Receipt): Promise<SignedReceipt> {
  const domain = receiptDomain({ chainId: dep.chainId, escrow: dep.escrow.hex })
  return { receipt, signature: await wallet.signTypedData(domain, { Receipt: [...RECEIPT_TYPES.Receipt] }, receiptMessage(receipt)) }
}

/** Runs the whole smoke sequence; throws SmokeCheckError when the chain disagrees with what was sent. */
export async function runSmoke (init: SmokeInit, options: { signal?: AbortSignal } = {}): Promise<SmokeReport> {
  const { chain, deployment: dep } = init
  const log = init.log ?? ((line: string) => { console.log(line) })
  check(dep.testToken, `deployment ${dep.network} uses a real token (${dep.token.base58}); the smoke test mints TestBTT and runs only where TestBTT was deployed`)
  const me = new Wallet(init.privateKey)
  check(me.address === chain.account, 'the TronChain is not bound to TRON_PRIVATE_KEY')
  // Throwaway counterparties: they only sign off-chain, so they need no TRX.
  const payer2 = Wallet.createRandom()
  const payee = Wallet.createRandom()
  const calls: SmokeCall[] = []
  const record = async (call: string, p: Promise<WriteResult>): Promise<WriteResult> => {
    const res = await p
    calls.push({ call, txId: res.txId, energy: res.gasUsed, feeSun: res.fee })
    log(`  ${call.padEnd(28)} energy ${res.gasUsed.toString().padStart(7)}  fee ${formatUnits(res.fee, 6).padStart(10)} TRX  ${res.txId}`)
    return res
  }
  const opts = { signal: options.signal }

  log(`escrow ${dep.escrow.base58}  token ${dep.token.base58}  chain ${dep.chainId}`)
  log(`account ${toTronAddress(me.address)}  second payer ${toTronAddress(payer2.address)}  payee ${toTronAddress(payee.address)}`)
  const from = await chain.blockNumber(opts)

  await record('TestBTT.mint(100)', chain.mintTestBTT(me.address, 100n * E18, opts))
  await record('TestBTT.approve(70)', chain.approve(70n * E18, opts))
  const dep1 = await record('deposit(50)', chain.deposit(50n * E18, opts))
  check(dep1.events.some(e => e.name === 'Deposited' && e.payer === me.address && e.amount === 50n * E18), 'deposit did not log Deposited(50)')
  await record('depositFor(second payer, 20)', chain.depositFor(payer2.address, 20n * E18, opts))
  check(await chain.balanceOf(payer2.address, opts) === 20n * E18, 'second payer balance is not 20')

  const r1 = await sign(me, dep, { payer: me.address, payee: payee.address, cumulativeBytes: 10n * MiB, cumulativeAmount: E18 })
  check(await chain.hashReceipt(r1.receipt, opts) !== '', 'hashReceipt failed')
  const single = await record('settle (1 receipt)', chain.settle(r1.receipt, r1.signature, opts))
  check(single.events.some(e => e.name === 'Settled' && e.paid === E18), 'settle did not pay 1')

  const batch = [
    await sign(me, dep, { payer: me.address, payee: payee.address, cumulativeBytes: 30n * MiB, cumulativeAmount: 3n * E18 }),
    await sign(payer2, dep, { payer: payer2.address, payee: payee.address, cumulativeBytes: 5n * MiB, cumulativeAmount: 2n * E18 })
  ]
  const batched = await record('settleBatch (2 receipts)', chain.settleBatch(payee.address, batch, opts))
  check(batched.events.some(e => e.name === 'BatchSettled' && e.totalPaid === 4n * E18 && e.skipped === 0n), 'settleBatch did not pay 2 + 2')

  check(await chain.paidOut(me.address, payee.address, opts) === 3n * E18, 'paidOut(account, payee) is not 3')
  check(await chain.paidOut(payer2.address, payee.address, opts) === 2n * E18, 'paidOut(second payer, payee) is not 2')
  check(await chain.tokenBalanceOf(payee.address, opts) === 5n * E18, 'payee token balance is not 5')

  // Events may lag the head on a public node's event index; poll briefly.
  let events: EscrowEvent[] = []
  for (let i = 0; i < 20; i++) {
    events = (await chain.eventsSince(from, opts)).events.filter(e => calls.some(c => c.txId === e.txId))
    if (events.filter(e => e.name === 'Settled').length >= 3) break
    await new Promise(resolve => setTimeout(resolve, 3_000))
  }
  const settled = events.filter((e): e is Extract<EscrowEvent, { name: 'Settled' }> => e.name === 'Settled')
  log(`events since block ${from}:`)
  for (const e of events) {
    const { blockNumber, txId, logIndex, name, ...rest } = e
    log(`  #${blockNumber} ${name} ${JSON.stringify(rest, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)}  (${txId.slice(0, 10)}…:${logIndex})`)
  }
  check(settled.length === 3, `expected 3 Settled records (1 single + 2 batch), read ${settled.length}`)
  const paidByPair = new Map<string, bigint>()
  for (const e of settled) paidByPair.set(`${e.payer}>${e.payee}`, (paidByPair.get(`${e.payer}>${e.payee}`) ?? 0n) + e.paid)
  check(paidByPair.get(`${me.address}>${payee.address}`) === 3n * E18, 'events do not add up to paidOut for the account')
  check(paidByPair.get(`${payer2.address}>${payee.address}`) === 2n * E18, 'events do not add up to paidOut for the second payer')
  return { calls, events, payee: payee.address, secondPayer: payer2.address }
}

function fail (message: string, code = 1): never {
  console.error(message)
  process.exit(code)
}

async function main (): Promise<void> {
  const privateKey = process.env.TRON_PRIVATE_KEY
  if (privateKey === undefined || privateKey.trim() === '') {
    fail([
      'nile-smoke: TRON_PRIVATE_KEY is not set.',
      'It needs the hex private key of a Nile account holding test TRX (faucet: https://nileex.io/join/getJoinPage).',
      'See docs/deploy-nile.md, then: export TRON_PRIVATE_KEY=<hex> && npm run nile-smoke'
    ].join('\n'), 2)
  }
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(privateKey.trim())) fail('nile-smoke: TRON_PRIVATE_KEY must be 64 hex characters', 2)
  const network = process.env.SEEDPAY_NETWORK ?? 'nile'
  if (network === 'mainnet') fail('nile-smoke: refusing to run on mainnet (it mints TestBTT and spends real TRX)', 2)
  const fullHost = process.env.TRON_FULL_HOST ?? 'https://nile.trongrid.io'

  if (!existsSync(deploymentPath(network))) {
    console.log(`no ${deploymentPath(network)}: deploying with tronbox first`)
    const root = fileURLToPath(new URL('..', import.meta.url))
    const res = spawnSync('npx', ['tronbox', 'migrate', '--network', network], { cwd: root, stdio: 'inherit', env: process.env })
    if (res.status !== 0) fail(`nile-smoke: tronbox migrate --network ${network} failed (exit ${res.status})`)
  }
  const deployment = readDeployment(network)
  const feeLimitTrx = Number(process.env.SEEDPAY_FEE_LIMIT_TRX ?? '300')
  const chain = TronChain.connect(
    { fullHost, ...(process.env.TRONGRID_API_KEY === undefined ? {} : { apiKey: process.env.TRONGRID_API_KEY }) },
    { escrow: deployment.escrow.base58, token: deployment.token.base58, chainId: deployment.chainId, privateKey: privateKey.trim(), maxFeeLimitSun: feeLimitTrx * 1_000_000 })
  const report = await runSmoke({ privateKey: privateKey.trim(), deployment, chain })
  const total = report.calls.reduce((s, c) => s + c.energy, 0n)
  console.log(`ok: ${report.calls.length} transactions, ${total} energy in all`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => { fail(`nile-smoke failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`) })
}
