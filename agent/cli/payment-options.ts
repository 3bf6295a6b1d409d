/**
 * Payments on `seedpay seed` and `seedpay get`, whose options payment-flags.ts declares: `openPayments` builds what
 * the engine needs when those flags are given (with-payments.ts: plain BitTorrent otherwise) with the one
 * composition root (agent/compose), and settles on the way out.
 *
 * Payee: serves payers only within what backs them (docs/risk.md), settles on threshold, risk, watchtower and
 * shutdown from the key's account. Payer: signs receipts with the hot key within its budget, reserves lanes.
 */
import type { Logger } from 'pino'
import { toEvmAddress } from '../chain/tron-address.ts'
import type { Ledger } from '../ledger/index.ts'
import { BLOCK_LENGTH, CreditPolicy, HotKeySigner, inDomain, toAddress, DEFAULT_CREDIT, type Address, type EscrowDomain } from '../pay/index.ts'
import { connectSwarm, PaymentNetworks, swarmInit, type PaymentAgent } from '../payment/index.ts'
import { createPayments, PaymentsConfigError, type Payments, type PaymentsMount, type TorrentTerms } from '../compose/index.ts'
import type { PayeeView } from '../daemon/payments-view.ts'
import type { EngineInit, TorrentEngine } from '../swarm/index.ts'
import { feeText, formatBtt, parseBtt, parseMiB } from './amounts.ts'
import { explainChainError } from './chain-errors.ts'
import { addressOf, feeCoin, keyFlag, loadKey, openChain, resolveChainFlags, type ChainSession, type ChainTarget } from './chain-options.ts'
import type { PaymentFlags, PaymentRole } from './payment-flags.ts'
import { CliError } from './errors.ts'
import { ledgerPathFor, openOwnLedger } from './ledger-file.ts'
import { networkNames, splitNetworks } from './seed-networks.ts'
import { intOption } from './flags.ts'
import type { PaymentEventSource } from './stall-watch.ts'
import { cliLogger } from './logging.ts'
import { makeReporter, type Reporter, type SpendReader } from './output.ts'
import { exposureWarning, settleWarning } from './settle-warning.ts'

/** What the CLI's engine runner needs from the payment side. */
export interface CliPayments {
  /** Spread into the TorrentEngine's init: the seedpay extension, the payment policies, the free slots. */
  engineInit: ReturnType<typeof swarmInit> & Pick<EngineInit, 'uploadSlots'>
  /** Counts bytes and rechokes on payment changes; call once the engine exists. Returns its detach. */
  attach: (engine: TorrentEngine) => () => void
  /** Payer: resolves once the budget is spent. */
  budgetSpent?: Promise<void>
  /** Payer: what this run has signed, and its --budget cap. */
  spend?: SpendReader
  /** The payment agent's events (refusals, hellos), for the stall explainer. */
  events?: PaymentEventSource
  /** Payer: --max-price in base units per MiB. */
  maxPricePerMiB?: bigint
  /** Payee: its books and settlement side, for the daemon's metrics and dashboard. */
  payee?: PayeeView
  /** Payee: mounts the payments on one more torrent at its own terms (the daemon's; unset terms are the flags'). */
  mount?: (terms: TorrentTerms) => PaymentsMount
}

/**
 * The payment side the flags ask for (with-payments.ts loads this module only then), and the reporter it prints
 * to: a payee settles everything outstanding when it is stopped, and reports the transactions.
 */
export async function openPayments (o: PaymentFlags, role: PaymentRole): Promise<{ side: Side, reporter: Reporter }> {
  const logger = cliLogger(o)
  const reporter = makeReporter(o.json)
  const side = role === 'payee' ? await payees(o, logger, reporter) : await payer(o, logger, reporter)
  return { side, reporter }
}

export interface Side { payments: CliPayments, stop: () => Promise<void> }

/**
 * The payee side on every network `--network` names (seed-networks.ts): one network as ever; several share the key
 * (one secp256k1 key is an account on every EVM and TRON network) and are mounted through one PaymentNetworks, so
 * each wire pays on the network its hello picks. Stopping settles every network.
 */
async function payees (o: PaymentFlags, logger: Logger, reporter: Reporter): Promise<Side> {
  const nets = splitNetworks(o)
  if (nets.length === 1) return await payee(nets[0]!, logger, reporter)
  const first = resolveChainFlags(nets[0]!)
  const key = await loadKey(first.keyFile, '--key-file', first)
  const sides: NetworkSide[] = []
  try {
    for (const flags of nets) sides.push(await payee(flags, logger, reporter, key))
  } catch (err) {
    await Promise.allSettled(sides.map(async s => { await s.stop() }))
    throw err
  }
  const host = new PaymentNetworks({ logger }, sides.map(s => s.agent))
  const freeSlots = sides[0]!.freeSlots
  const attached = new Set<() => void>()
  return {
    payments: {
      engineInit: { ...swarmInit(host), ...(freeSlots > 0 ? { uploadSlots: freeSlots } : {}) },
      attach: engine => {
        const unhook = connectSwarm(host, engine)
        attached.add(unhook)
        return () => { if (attached.delete(unhook)) unhook() }
      },
      events: host
    },
    stop: async () => {
      for (const unhook of attached) unhook()
      attached.clear()
      // every network settles at once; one that fails does not keep the others from settling
      const results = await Promise.allSettled(sides.map(async s => { await s.stop() }))
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed !== undefined) throw failed.reason
    }
  }
}

interface NetworkSide extends Side { agent: PaymentAgent, freeSlots: number }

/** The payee side on one network; `preloaded` is the key when several networks share it (read once). */
async function payee (o: PaymentFlags, logger: Logger, reporter: Reporter, preloaded?: string): Promise<NetworkSide> {
  const price = parseBtt('--price', o.price ?? '')
  const credit = o.credit === undefined ? undefined : parseMiB('--credit', o.credit)
  if (credit !== undefined && credit < BigInt(BLOCK_LENGTH)) throw new CliError(`--credit ${o.credit} MiB is less than one 16 KiB block`, `give --credit of at least 0.015625 (one block); the default is ${Number(DEFAULT_CREDIT) / 1048576}`, 2)
  const freeSlots = intOption('--free-slots', o.freeSlots ?? '4', 0, 100)
  const threshold = o.settleThreshold === undefined ? undefined : parseBtt('--settle-threshold', o.settleThreshold, { allowZero: true })
  const exposureLimit = o.maxExposure === undefined ? undefined : parseBtt('--max-exposure', o.maxExposure, { allowZero: true })
  const wantLane = o.wantLane === undefined ? undefined : parseBtt('--want-lane', o.wantLane, { allowZero: true })
  const intervalS = intOption('--settle-interval', o.settleInterval ?? '60', 1, 86400)
  const stalenessS = intOption('--max-staleness', o.maxStaleness ?? '30', 1, 86400)
  const target = resolveChainFlags(o)
  const key = preloaded ?? await loadKey(target.keyFile, '--key-file', target)
  if (key === undefined) throw new CliError('charging needs your account\'s key: it receives the payments and sends the settlements', 'pass --key-file <path> or set SEEDPAY_KEY', 2)
  const session = await connect(target, key)
  const account = addressOf(key)
  const ledgerPath = ledgerPathFor(target, account)
  const ledger = openLedger(session, ledgerPath, account)
  const domain: EscrowDomain = { chainId: session.chainId, escrow: session.client.escrow }
  let payments: Payments
  try {
    payments = await createPayments({ logger, ledger, chain: session.client, signer: new HotKeySigner(key) }, {
      domain, account,
      payee: {
        pricePerMiB: price, serveOrdinaryPeers: freeSlots > 0, maxStalenessMs: stalenessS * 1000,
        ...(credit !== undefined ? { credit } : {}),
        ...(exposureLimit !== undefined ? { exposureLimit } : {}),
        ...(wantLane !== undefined ? { wantLane } : {}),
        settle: { intervalMs: intervalS * 1000, ...(threshold !== undefined ? { minAmount: threshold } : {}) }
      }
    })
  } catch (err) {
    ledger.close()
    session.close()
    if (err instanceof PaymentsConfigError) throw new CliError(err.message, 'use your own account\'s key with --key-file', 2)
    throw explainChainError(err)
  }
  const { agent, scheduler, coverage } = payments
  if (scheduler === null || coverage === null) throw new Error('internal: a payee without a scheduler')
  scheduler.on('settle:confirmed', e => {
    reporter.event('settled', {
      reason: e.reason, txId: e.txId, method: e.batch ? 'settleBatch' : 'settle', total: formatBtt(e.total),
      gasUsed: e.gasUsed.toString(), fee: feeText(e.fee, feeCoin(session.target)),
      payers: e.entries.map(x => ({ payer: x.payer, bytes: x.bytes.toString(), paid: formatBtt(e.paid.get(x.payer) ?? 0n) }))
    })
  })
  scheduler.on('settle:failed', e => { reporter.event('settle:failed', { reason: e.reason, payers: e.entries.map(x => x.payer), error: e.error.message, retryInMs: e.retryInMs }) })
  scheduler.on('watchtower:withdrawal', e => { reporter.event('watchtower:withdrawal', { payer: e.payer, amount: formatBtt(e.amount), unsettled: formatBtt(e.unsettled), atRisk: formatBtt(e.atRisk), urgent: e.urgent, txId: e.txId }) })
  scheduler.on('watchtower:release', e => { reporter.event('watchtower:release', { payer: e.payer, amount: formatBtt(e.amount), unsettled: formatBtt(e.unsettled), atRisk: formatBtt(e.atRisk), urgent: e.urgent, txId: e.txId }) })
  scheduler.on('watchtower:signer', e => { reporter.event('watchtower:signer', { payer: e.payer, previous: e.previous, unsettled: formatBtt(e.unsettled), atRisk: formatBtt(e.atRisk), urgent: e.urgent, txId: e.txId }) })
  agent.on('receipt:refused', e => { reporter.event('payment:refused', { peerId: e.peerId, code: e.code, reason: e.reason }) })
  agent.on('peer:refused', e => { reporter.event('payment:refused', { peerId: e.peerId, code: e.code, reason: e.msg }) })
  agent.on('peer:ready', e => {
    reporter.event('payment:peer', { peerId: e.peerId, account: e.hello.account, network: session.target.network })
  })
  agent.on('peer:uncovered', e => {
    reporter.event('payment:uncovered', {
      peerId: e.peerId, payer: e.payer, lane: formatBtt(e.lane), trustedFree: formatBtt(e.free),
      action: e.decision === 'settle' ? 'settling its receipts before serving more' : 'choked until it reserves a lane or deposits'
    })
  })
  reporter.event('payments', {
    role: 'payee', account, network: session.target.network, chainId: session.chainId.toString(), escrow: session.client.escrow,
    pricePerMiB: formatBtt(price), creditBytes: (credit ?? DEFAULT_CREDIT).toString(), initialCreditBytes: new CreditPolicy(credit !== undefined ? { credit } : {}).initial.toString(), freeSlots, settleThreshold: formatBtt(scheduler.minAmount),
    maxExposure: formatBtt(coverage.exposureLimit), wantLane: formatBtt(wantLane ?? 0n), ledger: ledgerPath
  })
  const uneconomic = settleWarning({ pricePerMiB: price, threshold: scheduler.minAmount, fixed: threshold !== undefined, network: session.target.network })
  if (uneconomic !== null) reporter.event('warning', { code: 'uneconomic-price', message: uneconomic })
  const exposed = exposureWarning({ exposureLimit: coverage.exposureLimit, settlementCost: scheduler.urgentCost, network: session.target.network })
  if (exposed !== null) reporter.event('warning', { code: 'exposure-below-settlement-cost', message: exposed })
  return {
    agent,
    freeSlots,
    payments: {
      engineInit: { ...payments.engineInit, ...(freeSlots > 0 ? { uploadSlots: freeSlots } : {}) },
      attach: engine => payments.attach(engine),
      mount: terms => payments.mount({ freeSlots, ...terms }),
      events: agent,
      payee: { account, pricePerMiB: price, network: session.target.network, domain, feeCoin: feeCoin(session.target), ledger, scheduler, coverage, agent }
    },
    stop: async () => {
      try {
        const summary = await payments.stop()
        let total = 0n
        for (const v of summary?.paid.values() ?? []) total += v
        reporter.event('settlement', { network: session.target.network, txIds: summary?.txIds ?? [], total: formatBtt(total), failed: summary?.failed ?? [] })
        if (summary !== null && summary.failed.length > 0) {
          process.stderr.write(`error: settling ${summary.failed.length} payer(s) on shutdown failed\n  run \`seedpay settle ${keyFlag(target)}${target.ledger !== undefined ? ` --ledger ${ledgerPath}` : ''}${target.network === 'local' ? '' : ` --network ${target.network}`}\` to retry; receipts are cumulative, so nothing is paid twice\n`)
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
  // the payer pays on the one network it deposited on; a seeder offering several picks it from the hello
  if (networkNames(o.network).length > 1) throw new CliError(`get pays on one network; --network ${o.network} names several`, 'pass the one network your deposit is on (seeders that accept several pick it)', 2)
  const maxPrice = parseBtt('--max-price', o.maxPrice ?? '')
  const budget = o.budget === undefined ? undefined : parseBtt('--budget', o.budget)
  const maxLane = o.maxLane === undefined ? undefined : parseBtt('--max-lane', o.maxLane, { allowZero: true })
  const target = resolveChainFlags(o)
  const accountKey = await loadKey(target.keyFile, '--key-file', target)
  const signingKey = o.signerKey !== undefined ? await loadKey(o.signerKey, '--signer-key', target) : accountKey
  if (signingKey === undefined) throw new CliError('paying needs a key to sign receipts', 'pass --signer-key <hot key file> with --account <address>, or --key-file <path>', 2)
  let account: Address
  if (o.account !== undefined) {
    try { account = toAddress(toEvmAddress(o.account)) } catch { throw new CliError(`--account "${o.account}" is not an address`, 'write it as 0x followed by 40 hex digits, or as a T… address', 2) }
    if (accountKey !== undefined && addressOf(accountKey) !== account) throw new CliError(`--account ${account} is not the account of --key-file (${addressOf(accountKey)})`, 'pass one or the other', 2)
  } else {
    account = addressOf(accountKey ?? signingKey)
  }
  // Reserving lanes is a transaction from the account: it needs the account's key, not only a hot signer.
  const autoLane = o.autoLane !== false && accountKey !== undefined
  const session = await connect(target, accountKey)
  const signerAddress = addressOf(signingKey)
  try {
    const [balance, signers] = await Promise.all([session.client.balanceOf(account), session.client.signerOf(account)])
    if (balance === 0n) throw new CliError(`account ${account} has nothing in the escrow; seeders would stop serving it`, `deposit first: seedpay deposit <amount> ${keyFlag(target)}${target.network === 'local' ? '' : ` --network ${target.network}`}`, 1)
    const allowed = [account, signers.signer.toLowerCase()]
    if (signers.previousValidUntil * 1000n > BigInt(Date.now())) allowed.push(signers.previous.toLowerCase())
    if (!allowed.includes(signerAddress)) {
      throw new CliError(`${signerAddress} (--signer-key) may not sign for ${account}: its registered signer is ${signers.signer}`, `register it first: seedpay signer set ${signerAddress} --key-file <your account key>`, 2)
    }
  } catch (err) {
    session.close()
    throw explainChainError(err)
  }
  const ledgerPath = ledgerPathFor(target, account)
  const ledger = openLedger(session, ledgerPath, account)
  const domain: EscrowDomain = { chainId: session.chainId, escrow: session.client.escrow }
  let payments: Payments
  try {
    payments = await createPayments({ logger, ledger, chain: session.client, signer: new HotKeySigner(signingKey) }, {
      domain, account,
      payer: { maxPricePerMiB: maxPrice, autoLane, ...(budget !== undefined ? { budget } : {}), ...(maxLane !== undefined ? { maxLane } : {}) }
    })
  } catch (err) {
    ledger.close()
    session.close()
    throw explainChainError(err)
  }
  const { agent, funds } = payments
  if (funds === null) throw new Error('internal: a payer without funds')
  agent.on('peer:ready', e => { reporter.event('payment:peer', { peerId: e.peerId, account: e.hello.account, pricePerMiB: formatBtt(e.hello.pricePerMiB), wantsLane: formatBtt(e.hello.lane ?? 0n) }) })
  agent.on('peer:refused', e => { reporter.event('payment:refused', { peerId: e.peerId, code: e.code, reason: e.msg }) })
  agent.on('lane:reserved', e => { reporter.event('lane:reserved', { txId: e.txId, lanes: e.lanes.map(l => ({ payee: l.payee, amount: formatBtt(l.amount) })) }) })
  let exhausted: (() => void) | null = null
  const budgetSpent = new Promise<void>(resolve => { exhausted = resolve })
  agent.on('budget:exhausted', e => {
    reporter.event('budget:spent', { spent: formatBtt(e.spent), budget: e.cap === null ? 'escrow balance' : formatBtt(e.cap), free: formatBtt(e.free), action: 'charging peers are no longer asked; free peers go on' })
    exhausted?.()
  })
  const spend: SpendReader = () => ({ spent: funds.budget.spent, cap: funds.budget.limit })
  reporter.paying(spend)
  reporter.event('payments', {
    role: 'payer', account, signer: signerAddress, network: session.target.network, chainId: session.chainId.toString(), escrow: session.client.escrow,
    maxPricePerMiB: formatBtt(maxPrice), budget: budget === undefined ? 'escrow balance' : formatBtt(budget), spendable: formatBtt(funds.budget.free),
    autoLane, ledger: ledgerPath
  })
  return {
    payments: {
      engineInit: payments.engineInit,
      attach: engine => payments.attach(engine),
      budgetSpent,
      spend,
      events: agent,
      maxPricePerMiB: maxPrice
    },
    stop: async () => {
      await payments.stop()
      const paid = ledger.channels()
        .filter(c => c.role === 'payer' && c.key.payer === account && inDomain(c.key, domain) && c.newest !== null)
        .map(c => ({ payee: c.key.payee, bytes: c.newest!.bytes.toString(), amount: formatBtt(c.newest!.amount) }))
      reporter.event('paid', { account, spent: formatBtt(funds.budget.spent), channels: paid })
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

function openLedger (session: ChainSession, path: string, account: Address): Ledger {
  try {
    return openOwnLedger(path, account)
  } catch (err) {
    session.close()
    throw err
  }
}
