/**
 * Payments on `seedpay seed` and `seedpay get`. `addPaymentOptions(cmd, role)` adds the chain options plus
 * `--price/--credit/--free-slots` (payee) or `--max-price/--signer-key/--account` (payer); `withPayments` builds
 * what the engine needs when those flags are given (null otherwise: plain BitTorrent), and settles on the way out.
 *
 * Payee: a PaymentAgent that charges, a SettlementScheduler (threshold, timer, watchtower, settlement on
 * shutdown) sending from the key's account. Payer: a PaymentAgent that signs receipts with the hot key.
 */
import { Option, type Command } from 'commander'
import pino, { type Logger } from 'pino'
import { toEvmAddress } from '../chain/index.ts'
import { Ledger } from '../ledger/index.ts'
import { HotKeySigner, toAddress, DEFAULT_CREDIT, type Address, type EscrowDomain } from '../pay/index.ts'
import { PaymentAgent, ChainSignerDirectory, swarmInit, connectSwarm } from '../payment/index.ts'
import { SettlementScheduler } from '../settle/index.ts'
import type { EngineInit, TorrentEngine } from '../swarm/index.ts'
import { formatBtt, parseBtt, parseMiB } from './amounts.ts'
import { explainChainError } from './chain-errors.ts'
import { addChainOptions, addressOf, ensureLedgerDir, loadKey, openChain, resolveChainFlags, type ChainFlags, type ChainSession, type ChainTarget } from './chain-options.ts'
import { CliError } from './errors.ts'
import { makeReporter, type Reporter } from './output.ts'

export type PaymentRole = 'payee' | 'payer'

export interface PaymentFlags extends ChainFlags {
  price?: string
  credit?: string
  freeSlots?: string
  settleThreshold?: string
  settleInterval?: string
  maxPrice?: string
  signerKey?: string
  account?: string
  json: boolean
  logLevel: string
}

/** What the CLI's engine runner needs from the payment side. */
export interface CliPayments {
  /** Spread into the TorrentEngine's init: the seedpay extension, the payment policies, the free slots. */
  engineInit: ReturnType<typeof swarmInit> & Pick<EngineInit, 'uploadSlots'>
  /** Counts bytes and rechokes on payment changes; call once the engine exists. */
  attach: (engine: TorrentEngine) => void
}

/** Adds the payment options for `role` (and the chain options) to `seed` or `get`. */
export function addPaymentOptions (cmd: Command, role: PaymentRole): Command {
  if (role === 'payee') {
    cmd.option('--price <BTT/MiB>', 'charge paying peers this much BTT per MiB uploaded (turns payments on)')
      .option('--credit <MiB>', `serve a payer this far ahead of its newest receipt (default ${Number(DEFAULT_CREDIT) / 1048576})`)
      .option('--free-slots <n>', 'upload slots for ordinary BitTorrent peers, who never pay (0: serve only payers)', '4')
      .option('--settle-threshold <BTT>', 'settle a payer once it owes this much (default: worth the energy a settlement costs)')
      .option('--settle-interval <seconds>', 'how often thresholds are checked', '60')
  } else {
    cmd.option('--max-price <BTT/MiB>', 'pay seeders that ask at most this much BTT per MiB (turns payments on)')
      .option('--signer-key <path>', 'hot key file that signs receipts (registered with `seedpay signer`); default: --key-file')
      .addOption(new Option('--account <address>', 'your account on the escrow, when only --signer-key is on this machine'))
  }
  return addChainOptions(cmd)
}

/**
 * Runs `fn` with payments when the flags ask for them (`--price` / `--max-price`), else with null. Afterwards
 * stops the payment side; a payee settles everything outstanding and reports the transactions.
 */
export async function withPayments (o: PaymentFlags, role: PaymentRole, fn: (payments: CliPayments | null) => Promise<void>): Promise<void> {
  const wanted = role === 'payee' ? o.price !== undefined : o.maxPrice !== undefined
  if (!wanted) { await fn(null); return }
  const logger = pino({ level: o.logLevel }, pino.destination(2))
  const reporter = makeReporter(o.json)
  const side = role === 'payee' ? await payee(o, logger, reporter) : await payer(o, logger, reporter)
  try {
    await fn(side.payments)
  } finally {
    await side.stop()
    reporter.close()
  }
}

interface Side { payments: CliPayments, stop: () => Promise<void> }

async function payee (o: PaymentFlags, logger: Logger, reporter: Reporter): Promise<Side> {
  const price = parseBtt('--price', o.price ?? '')
  const credit = o.credit === undefined ? undefined : parseMiB('--credit', o.credit)
  if (credit !== undefined && credit < 16384n) throw new CliError(`--credit ${o.credit} MiB is less than one 16 KiB block`, 'give --credit of at least 0.015625 (one block); the default is 4', 2)
  const freeSlots = intFlag('--free-slots', o.freeSlots ?? '4', 0, 100)
  const threshold = o.settleThreshold === undefined ? undefined : parseBtt('--settle-threshold', o.settleThreshold, { allowZero: true })
  const intervalS = intFlag('--settle-interval', o.settleInterval ?? '60', 1, 86400)
  const target = resolveChainFlags(o)
  const key = loadKey(target.keyFile)
  if (key === undefined) throw new CliError('charging needs your account\'s key: it receives the payments and sends the settlements', 'pass --key-file <path> or set SEEDPAY_KEY', 2)
  const session = await connect(target, key)
  const account = addressOf(key)
  const ledger = openLedger(session)
  const domain: EscrowDomain = { chainId: session.chainId, escrow: session.client.escrow }
  const agent = new PaymentAgent({ logger, ledger, signer: new HotKeySigner(key), signers: new ChainSignerDirectory({ chain: session.client }) }, {
    domain, account, pricePerMiB: price, maxPricePerMiB: 0n, serveOrdinaryPeers: freeSlots > 0, ...(credit !== undefined ? { credit } : {})
  })
  const scheduler = new SettlementScheduler({ logger, ledger, chain: session.client }, {
    payee: account, intervalMs: intervalS * 1000, ...(threshold !== undefined ? { minAmount: threshold } : {})
  })
  scheduler.on('settle:confirmed', e => {
    reporter.event('settled', {
      reason: e.reason, txId: e.txId, method: e.batch ? 'settleBatch' : 'settle', total: formatBtt(e.total),
      payers: e.entries.map(x => ({ payer: x.payer, bytes: x.bytes.toString(), paid: formatBtt(e.paid.get(x.payer) ?? 0n) }))
    })
  })
  scheduler.on('settle:failed', e => { reporter.event('settle:failed', { reason: e.reason, payers: e.entries.map(x => x.payer), error: e.error.message, retryInMs: e.retryInMs }) })
  scheduler.on('watchtower:withdrawal', e => { reporter.event('watchtower:withdrawal', { payer: e.payer, amount: formatBtt(e.amount), unsettled: formatBtt(e.unsettled), atRisk: formatBtt(e.atRisk), urgent: e.urgent, txId: e.txId }) })
  scheduler.on('watchtower:release', e => { reporter.event('watchtower:release', { payer: e.payer, amount: formatBtt(e.amount), unsettled: formatBtt(e.unsettled), atRisk: formatBtt(e.atRisk), urgent: e.urgent, txId: e.txId }) })
  scheduler.on('watchtower:signer', e => { reporter.event('watchtower:signer', { payer: e.payer, previous: e.previous, unsettled: formatBtt(e.unsettled), atRisk: formatBtt(e.atRisk), urgent: e.urgent, txId: e.txId }) })
  // every payer we serve is watched from its hello on, before it has a channel (a withdrawal it requests then still counts)
  agent.on('peer:ready', e => { scheduler.watch(e.hello.account) })
  agent.on('receipt:refused', e => { reporter.event('payment:refused', { peerId: e.peerId, code: e.code, reason: e.reason }) })
  agent.on('peer:ready', e => { reporter.event('payment:peer', { peerId: e.peerId, account: e.hello.account }) })
  try {
    await scheduler.start()
  } catch (err) {
    ledger.close()
    session.close()
    throw explainChainError(err)
  }
  reporter.event('payments', {
    role: 'payee', account, network: session.target.network, chainId: session.chainId.toString(), escrow: session.client.escrow,
    pricePerMiB: formatBtt(price), creditBytes: (credit ?? DEFAULT_CREDIT).toString(), freeSlots, settleThreshold: formatBtt(scheduler.minAmount), ledger: session.target.ledgerPath
  })
  let unhook = (): void => {}
  return {
    payments: {
      engineInit: { ...swarmInit(agent), ...(freeSlots > 0 ? { uploadSlots: freeSlots } : {}) },
      attach: engine => { unhook = connectSwarm(agent, engine) }
    },
    stop: async () => {
      unhook()
      agent.stop()
      try {
        const summary = await scheduler.stop()
        let total = 0n
        for (const v of summary.paid.values()) total += v
        reporter.event('settlement', { txIds: summary.txIds, total: formatBtt(total), failed: summary.failed })
        if (summary.failed.length > 0) {
          process.stderr.write(`error: settling ${summary.failed.length} payer(s) on shutdown failed\n  run \`seedpay settle --ledger ${session.target.ledgerPath}\` to retry; receipts are cumulative, so nothing is paid twice\n`)
          process.exitCode = 1
        }
      } finally {
        ledger.close()
        session.close()
      }
    }
  }
}

async function payer (o: PaymentFlags, logger: Logger, reporter: Reporter): Promise<Side> {
  const maxPrice = parseBtt('--max-price', o.maxPrice ?? '')
  const target = resolveChainFlags(o)
  const accountKey = loadKey(target.keyFile)
  const signingKey = o.signerKey !== undefined ? loadKey(o.signerKey, '--signer-key') : accountKey
  if (signingKey === undefined) throw new CliError('paying needs a key to sign receipts', 'pass --signer-key <hot key file> with --account <address>, or --key-file <path>', 2)
  let account: Address
  if (o.account !== undefined) {
    try { account = toAddress(toEvmAddress(o.account)) } catch { throw new CliError(`--account "${o.account}" is not an address`, 'write it as 0x followed by 40 hex digits, or as a T… address', 2) }
    if (accountKey !== undefined && addressOf(accountKey) !== account) throw new CliError(`--account ${account} is not the account of --key-file (${addressOf(accountKey)})`, 'pass one or the other', 2)
  } else {
    account = addressOf(accountKey ?? signingKey)
  }
  const session = await connect(target, undefined)
  const signerAddress = addressOf(signingKey)
  try {
    const [balance, signers] = await Promise.all([session.client.balanceOf(account), session.client.signerOf(account)])
    if (balance === 0n) throw new CliError(`account ${account} has nothing in the escrow; seeders would stop serving it`, `deposit first: seedpay deposit <amount> --key-file <your key>${target.network === 'local' ? '' : ` --network ${target.network}`}`, 1)
    const allowed = [account, signers.signer.toLowerCase()]
    if (signers.previousValidUntil * 1000n > BigInt(Date.now())) allowed.push(signers.previous.toLowerCase())
    if (!allowed.includes(signerAddress)) {
      throw new CliError(`${signerAddress} (--signer-key) may not sign for ${account}: its registered signer is ${signers.signer}`, `register it first: seedpay signer set ${signerAddress} --key-file <your account key>`, 2)
    }
  } catch (err) {
    session.close()
    throw explainChainError(err)
  }
  const ledger = openLedger(session)
  const domain: EscrowDomain = { chainId: session.chainId, escrow: session.client.escrow }
  const agent = new PaymentAgent({ logger, ledger, signer: new HotKeySigner(signingKey) }, { domain, account, pricePerMiB: 0n, maxPricePerMiB: maxPrice })
  agent.on('peer:ready', e => { reporter.event('payment:peer', { peerId: e.peerId, account: e.hello.account, pricePerMiB: formatBtt(e.hello.pricePerMiB) }) })
  agent.on('peer:refused', e => { reporter.event('payment:refused', { peerId: e.peerId, code: e.code, reason: e.msg }) })
  reporter.event('payments', {
    role: 'payer', account, signer: signerAddress, network: session.target.network, chainId: session.chainId.toString(), escrow: session.client.escrow,
    maxPricePerMiB: formatBtt(maxPrice), ledger: session.target.ledgerPath
  })
  let unhook = (): void => {}
  return {
    payments: {
      engineInit: swarmInit(agent),
      attach: engine => { unhook = connectSwarm(agent, engine) }
    },
    stop: async () => {
      unhook()
      agent.stop()
      const escrow = session.client.escrow.toLowerCase()
      const paid = ledger.channels()
        .filter(c => c.role === 'payer' && c.key.payer === account && c.key.escrow === escrow && c.key.chainId === session.chainId && c.newest !== null)
        .map(c => ({ payee: c.key.payee, bytes: c.newest!.bytes.toString(), amount: formatBtt(c.newest!.amount) }))
      reporter.event('paid', { account, channels: paid })
      ledger.close()
      session.close()
    }
  }
}

async function connect (target: ChainTarget, key: string | undefined): Promise<ChainSession> {
  try {
    return await openChain(target, key)
  } catch (err) {
    throw explainChainError(err)
  }
}

function openLedger (session: ChainSession): Ledger {
  const path = session.target.ledgerPath
  try {
    ensureLedgerDir(path)
    return new Ledger({}, { path })
  } catch (err) {
    session.close()
    throw new CliError(`cannot open the ledger ${path}: ${(err as Error).message}`, 'pass a writable file path with --ledger', 2)
  }
}

function intFlag (flag: string, v: string, min: number, max: number): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag} must be an integer from ${min} to ${max}, got "${v}"`, `fix ${flag}`, 2)
  return n
}
