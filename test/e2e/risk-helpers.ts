/**
 * The world of the attack matrix (payment.risk.*.test.ts): one anvil per test file with the tronbox-built
 * escrow, charging seeders built by createPayments (the payee role, as `seedpay seed` builds them) on real
 * TorrentEngines over TCP on 127.0.0.1, honest payers built by createPayments (the payer role, as `seedpay get`)
 * and dishonest payers: a bare PaymentAgent without a budget that signs a receipt for every byte it verifies,
 * whatever backs it. Every party has its own SQLite ledger; everything started is stopped in afterEach.
 *
 * A seeder's loss on a payer is measured, not inferred: the value of every byte its engine sent that payer
 * (`block:uploaded`, at its price) minus what the escrow paid the pair (`paidOut` on chain, read after the
 * seeder's final settlement).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { Wallet } from 'ethers'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import type { EscrowEvent } from '../../agent/chain/index.ts'
import type { EvmChain } from '../../agent/chain/evm-chain.ts'
import { createPayments, type PayeeOptions, type PayerOptions, type Payments } from '../../agent/compose/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { amountFor, channelKey, HotKeySigner, MIB, toAddress, type Address, type EscrowDomain, type Receipt } from '../../agent/pay/index.ts'
import { connectSwarm, swarmInit, type PaymentAgent } from '../../agent/payment/index.ts'
import type { SettleReason, SettleSummary } from '../../agent/settle/index.ts'
import type { TorrentEngine } from '../../agent/swarm/index.ts'
import { signReceipt, useChainFixture, type ChainFixture } from '../agent/chain/fixture.ts'
import { engine, makeFixture, type Fixture } from '../agent/swarm/fixtures.ts'
import { makeAgent } from './payment-agents.ts'

export const KIB = 1024n
/** 10^12 base units per byte: amountFor(bytes, PRICE) is exactly bytes · 10^12, and 1 MiB costs ≈ 1.05 BTT. */
export const PRICE = MIB * 10n ** 12n
/** What `bytes` cost at PRICE (the seeders' and payers' one price function). */
export function value (bytes: bigint | number): bigint { return amountFor(BigInt(bytes), PRICE) }

/**
 * Settlement only when something asks for it (risk, watchtower, shutdown): no threshold pass in a test's
 * lifetime, and a fixed fee (1 gwei per gas) so "one settlement's cost" (≈ 57 bytes at PRICE) does not depend
 * on what anvil reports.
 */
export const QUIET_SETTLE: NonNullable<PayeeOptions['settle']> = {
  minAmount: 10n ** 30n, intervalMs: 600_000, retryMs: 500, cost: { feePrice: 1_000_000_000n }
}

const logger: Logger = pino({ level: process.env['RISK_LOG'] ?? 'silent' })

export interface SeederInit extends Partial<PayeeOptions> {
  /** Which of anvil's accounts the seeder is. */
  key: number
}

export interface Settlement { reason: SettleReason, txId: string, paid: Map<Address, bigint> }

export interface RiskSeeder {
  readonly account: Address
  readonly client: EvmChain
  readonly payments: Payments
  readonly engine: TorrentEngine
  readonly ledger: Ledger
  /** Every settlement its scheduler got mined, in order. */
  readonly settlements: Settlement[]
  /** What its coverage refused, in order (`peer:uncovered`). */
  readonly uncovered: Array<{ payer: Address, decision: 'settle' | 'wait' }>
  /** Bytes its engine sent to the peers speaking for `payer`. */
  servedTo: (payer: Address) => bigint
  /** Bytes sent to peers whose account it did not know (a charging seeder must never send any). */
  readonly unattributed: () => bigint
  /** The newest receipt it holds from `payer` (0 if none). */
  heldFrom: (payer: Address) => bigint
  /** Stops its engine (nothing more is served), then its payments (the final settlement). Idempotent. */
  stop: () => Promise<SettleSummary | null>
}

export interface RiskPayer {
  readonly account: Address
  readonly key: string
  readonly client: EvmChain
  readonly ledger: Ledger
  readonly agent: PaymentAgent
  /** The payer role's composition (honest payers); null for a dishonest one. */
  readonly payments: Payments | null
  readonly engine: TorrentEngine
  /** The newest receipt it signed to `payee` (0 if none). */
  signedTo: (payee: Address) => bigint
  /** Stops its engine and payments. Idempotent. */
  stop: () => Promise<void>
}

export interface Loss {
  served: bigint
  /** value(served) */
  owed: bigint
  /** paidOut of the pair on chain. */
  paid: bigint
  /** owed − paid */
  loss: bigint
}

export interface RiskWorld {
  readonly fx: ChainFixture
  readonly domain: EscrowDomain
  /** Random content of `size` bytes on disk, in pieces of `pieceLength`, and its torrent. */
  file: (size: number, pieceLength: number) => Promise<Fixture>
  /** A charging seeder of `file` built with createPayments (payee role), started. */
  seeder: (file: Fixture, init: SeederInit) => Promise<RiskSeeder>
  /** A payer without a budget: signs for every verified byte (`receiptDelayMs` after verifying it). Not started. */
  dishonestPayer: (file: Fixture, key: number, seeders: readonly RiskSeeder[], opts?: { receiptDelayMs?: number }) => Promise<RiskPayer>
  /** A payer built with createPayments (payer role). Not started. */
  honestPayer: (file: Fixture, key: number, seeders: readonly RiskSeeder[], payer?: Partial<PayerOptions>) => Promise<RiskPayer>
  /** Mints, approves and deposits `amount` for anvil's account `key`. */
  fund: (key: number, amount: bigint) => Promise<void>
  /** What `seeder` lost on `payer`, from its engine's byte count and the chain's paidOut. */
  lossOf: (seeder: RiskSeeder, payer: Address) => Promise<Loss>
  /** Escrow events since the test began. */
  events: () => Promise<EscrowEvent[]>
}

export function accountOf (key: number): Address {
  return toAddress(new Wallet(ANVIL_KEYS[key]!).address)
}

/** Registers the chain fixture and the afterEach that stops whatever a test left running. */
export function useRiskWorld (): RiskWorld {
  const fx = useChainFixture()
  // stopped in this order: payers (nothing more is asked), seeders (their final settlement), then the files
  const cleanups = { payers: [] as Array<() => Promise<void>>, seeders: [] as Array<() => Promise<void>>, files: [] as Array<() => Promise<void>> }
  let firstBlock = 0
  const world = {
    fx,
    get domain (): EscrowDomain { return { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex } }
  } as RiskWorld & { fx: ChainFixture }

  beforeEach(async () => { firstBlock = await fx.readOnly.blockNumber() + 1 })
  afterEach(async function () {
    this.timeout(60_000)
    for (const list of [cleanups.payers, cleanups.seeders, cleanups.files]) {
      for (const c of list.splice(0)) await c().catch((err: unknown) => { logger.error({ err }, 'cleanup failed') })
    }
  })

  world.file = async (size, pieceLength) => {
    const f = await makeFixture({ data: size }, pieceLength)
    cleanups.files.push(async () => { await f.cleanup() })
    return f
  }

  world.fund = async (key, amount) => {
    const client = fx.clients[key]!
    await client.mintTestBTT(client.account!, amount)
    await client.approve(amount)
    await client.deposit(amount)
  }

  world.events = async () => (await fx.readOnly.eventsSince(firstBlock)).events

  world.lossOf = async (seeder, payer) => {
    const served = seeder.servedTo(payer)
    const paid = (await fx.readOnly.laneOf(payer, seeder.account)).paidOut
    const owed = value(served)
    return { served, owed, paid, loss: owed - paid }
  }

  world.seeder = async (file, init) => {
    const key = ANVIL_KEYS[init.key]!
    const account = accountOf(init.key)
    const client = fx.clients[init.key]!
    const dir = mkdtempSync(join(tmpdir(), 'seedpay-risk-seed-'))
    const ledger = new Ledger({}, { path: join(dir, 'ledger.db') })
    const { key: _k, ...payee } = init
    const payments = await createPayments({ logger, ledger, chain: client, signer: new HotKeySigner(key) }, {
      domain: world.domain, account,
      payee: { pricePerMiB: PRICE, settle: QUIET_SETTLE, feed: { pollMs: 200 }, ...payee }
    })
    const eng = engine(file.meta, file.seedDir, { pex: false, ...payments.engineInit })
    payments.attach(eng)
    const served = new Map<Address | null, bigint>()
    eng.on('block:uploaded', ({ peerId, length }) => {
      const who = payments.agent.session(peerId)?.account ?? null
      served.set(who, (served.get(who) ?? 0n) + BigInt(length))
    })
    const settlements: Settlement[] = []
    payments.scheduler!.on('settle:confirmed', e => { settlements.push({ reason: e.reason, txId: e.txId, paid: e.paid }) })
    const uncovered: RiskSeeder['uncovered'] = []
    payments.agent.on('peer:uncovered', e => { uncovered.push({ payer: e.payer, decision: e.decision }) })
    await eng.start()
    let stopped: Promise<SettleSummary | null> | null = null
    let held: Map<Address, bigint> | null = null
    const stop = async (): Promise<SettleSummary | null> => {
      stopped ??= (async () => {
        await eng.stop()
        try {
          return await payments.stop()
        } finally {
          held = newestByPeer(ledger, 'payee')
          ledger.close()
          rmSync(dir, { recursive: true, force: true })
        }
      })()
      return await stopped
    }
    cleanups.seeders.push(async () => { await stop() })
    return {
      account, client, payments, engine: eng, ledger, settlements, uncovered,
      servedTo: payer => served.get(toAddress(payer)) ?? 0n,
      unattributed: () => served.get(null) ?? 0n,
      heldFrom: payer => held !== null ? held.get(toAddress(payer)) ?? 0n : ledger.newest(channelKey(world.domain, payer, account))?.amount ?? 0n,
      stop
    }
  }

  /** A payer's engine dialling every seeder. */
  function payerEngine (file: Fixture, seeders: readonly RiskSeeder[], init: Partial<Parameters<typeof engine>[2]>): { eng: TorrentEngine, out: string } {
    const out = mkdtempSync(join(tmpdir(), 'seedpay-risk-leech-'))
    const eng = engine(file.meta, out, { peers: seeders.map(s => s.engine.address), pex: false, ...init })
    return { eng, out }
  }

  world.dishonestPayer = async (file, keyIndex, seeders, opts = {}) => {
    const key = ANVIL_KEYS[keyIndex]!
    // pricePerMiB 0: it charges nobody, so the seeders (which pay nobody) accept its terms
    const t = makeAgent(world.domain, key, { pricePerMiB: 0n, maxPricePerMiB: PRICE })
    const { eng, out } = payerEngine(file, seeders, swarmInit(t.agent))
    const delay = opts.receiptDelayMs ?? 0
    if (delay === 0) {
      connectSwarm(t.agent, eng)
    } else {
      // connectSwarm's wiring, with each verified piece paid for `delay` ms late
      eng.on('piece:hashed', ({ bytesByPeer }) => { setTimeout(() => { t.agent.onVerified(bytesByPeer) }, delay) })
      for (const name of ['peer:ready', 'peer:unpaid', 'peer:paid-up'] as const) t.agent.on(name, () => { eng.rechoke() })
    }
    let stopped: Promise<void> | null = null
    let signed: Map<Address, bigint> | null = null
    const stop = async (): Promise<void> => {
      stopped ??= (async () => {
        await eng.stop()
        await t.agent.stop()
        signed = newestByPeer(t.ledger, 'payer')
        t.ledger.close()
        rmSync(out, { recursive: true, force: true })
        rmSync(t.dir, { recursive: true, force: true })
      })()
      await stopped
    }
    cleanups.payers.push(stop)
    return {
      account: t.account, key, client: fx.clients[keyIndex]!, ledger: t.ledger, agent: t.agent, payments: null, engine: eng,
      signedTo: payee => signed !== null ? signed.get(toAddress(payee)) ?? 0n : t.ledger.newest(channelKey(world.domain, t.account, payee))?.amount ?? 0n,
      stop
    }
  }

  world.honestPayer = async (file, keyIndex, seeders, payer = {}) => {
    const key = ANVIL_KEYS[keyIndex]!
    const account = accountOf(keyIndex)
    const client = fx.clients[keyIndex]!
    const dir = mkdtempSync(join(tmpdir(), 'seedpay-risk-payer-'))
    const ledger = new Ledger({}, { path: join(dir, 'ledger.db') })
    const payments = await createPayments({ logger, ledger, chain: client, signer: new HotKeySigner(key) }, {
      domain: world.domain, account, payer: { maxPricePerMiB: PRICE, ...payer }
    })
    const { eng, out } = payerEngine(file, seeders, payments.engineInit)
    payments.attach(eng)
    let stopped: Promise<void> | null = null
    let signed: Map<Address, bigint> | null = null
    const stop = async (): Promise<void> => {
      stopped ??= (async () => {
        await eng.stop()
        await payments.stop()
        signed = newestByPeer(ledger, 'payer')
        ledger.close()
        rmSync(out, { recursive: true, force: true })
        rmSync(dir, { recursive: true, force: true })
      })()
      await stopped
    }
    cleanups.payers.push(stop)
    return {
      account, key, client, ledger, agent: payments.agent, payments, engine: eng,
      signedTo: payee => signed !== null ? signed.get(toAddress(payee)) ?? 0n : ledger.newest(channelKey(world.domain, account, payee))?.amount ?? 0n,
      stop
    }
  }

  return world
}

/** The newest receipt's amount per counterparty (payee for role 'payer', payer for 'payee'), kept once a ledger closes. */
function newestByPeer (ledger: Ledger, role: 'payer' | 'payee'): Map<Address, bigint> {
  const out = new Map<Address, bigint>()
  for (const c of ledger.channels()) {
    if (c.role !== role || c.newest === null) continue
    out.set(role === 'payer' ? c.key.payee : c.key.payer, c.newest.amount)
  }
  return out
}

/** A receipt signed by anvil's account `key` to `payee` (what a dishonest payer signs to a second account it owns). */
export async function selfReceipt (fx: ChainFixture, key: number, payee: Address, amount: bigint): Promise<{ receipt: Receipt, signature: string }> {
  const receipt: Receipt = { payer: accountOf(key), payee, cumulativeBytes: 1n, cumulativeAmount: amount }
  return { receipt, signature: await signReceipt(fx, fx.wallets[key]!, receipt) }
}

export async function sleep (ms: number): Promise<void> { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Waits until `cond` holds (sync or async), polling every 20 ms; throws `what` after `ms`. */
export async function until (cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(20)
  }
}

/** Waits until `cond` holds, or `ms` passed; returns whether it held. */
export async function settles (cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) return false
    await sleep(20)
  }
  return true
}

/** Resolves once `payer` signed no receipt for `idleMs` (or after `maxMs`): what it was sent in flight is paid for. */
export async function signingStops (payer: RiskPayer, idleMs = 1_000, maxMs = 8_000): Promise<void> {
  let last = Date.now()
  const bump = (): void => { last = Date.now() }
  payer.agent.on('receipt:signed', bump)
  const end = Date.now() + maxMs
  try {
    while (Date.now() - last < idleMs && Date.now() < end) await sleep(50)
  } finally {
    payer.agent.off('receipt:signed', bump)
  }
}

/** One line of figures per scenario when RISK_FIGURES is set (the report quotes them). */
export function report (scenario: string, figures: Record<string, bigint | number | string | boolean>): void {
  if (process.env['RISK_FIGURES'] === undefined) return
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${typeof v === 'bigint' ? v.toString() : String(v)}`)
  process.stdout.write(`      [figures] ${scenario}: ${parts.join(' ')}\n`)
}
