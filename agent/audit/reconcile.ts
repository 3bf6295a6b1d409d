/**
 * Reconciles the escrow's events with the agent's ledger, for one payee (its receipts cashed) or one payer
 * (its receipts signed). The chain side is rebuilt from events alone (chainTotals) and cross-checked with the
 * escrow's `paidOut`; the ledger side is the newest receipt, the receipt history and the settlement attempts.
 *
 * Mismatches:
 * - `paid`: the escrow paid a pair (events) other than the ledger's confirmed settlements say (payee only).
 * - `unknown-receipt`: the escrow cashed a receipt (bytes, amount) the ledger's history does not hold.
 * - `beyond-newest`: the escrow cashed more than the ledger's newest receipt for the pair.
 * - `unknown-pair`: the escrow paid on a pair the ledger has no channel for.
 * - `state`: the events' total differs from the escrow's `paidOut` (events missing: `fromBlock` too late?).
 * - `lane`: the lane rebuilt from events (lanes.ts) differs from the escrow's `laneOf`.
 * - `release`: the pending release rebuilt from events differs from the escrow's `releaseOf`.
 * - `balance`: a payer's free balance rebuilt from events differs from the escrow's `balanceOf`.
 * - `ledger`: the ledger's own consistency check failed (newest receipt vs history, SQLite integrity).
 * - `unclaimed`: the subject's refused payouts rebuilt from events (PayoutDeferred − Claimed, native escrow)
 *   differ from the escrow's `unclaimedOf`.
 *
 * Lanes and free balances come from replaying every event of the escrow (a payer's free balance also pays its
 * other payees), so they need events from the escrow's deployment block on.
 */
import type { EscrowClient, EscrowEvent, EventPage, Withdrawal } from '../chain/index.ts'
import type { ChannelState, Ledger, Role } from '../ledger/index.ts'
import { toAddress, type Address } from '../pay/index.ts'
import { chainTotals, pairId, type ChainPair } from './totals.ts'
import { pendingState, replayLanes, type LanePair, type PayerFunds, type PendingState } from './lanes.ts'

/** 2^30 bytes: prices are reported per GiB. */
export const GIB = 1n << 30n

export type AuditSubject = { payee: string } | { payer: string }

export interface AuditComponents {
  chain: Pick<EscrowClient, 'chainId' | 'escrow' | 'feeUnit' | 'blockNumber' | 'eventsSince' | 'unclaimedOf' | 'laneOf' | 'balanceOf' | 'pendingRelease' | 'withdrawalWindow'>
  ledger: Ledger
}

export interface AuditOptions {
  /** First block to read events from (the escrow's deployment block is enough). @default 0 */
  fromBlock?: number
  /** Unix seconds at which a pending release counts as expired; pass the chain's latest block time. @default the wall clock */
  now?: bigint
  signal?: AbortSignal
}

export type MismatchKind = 'paid' | 'unknown-receipt' | 'beyond-newest' | 'unknown-pair' | 'state' | 'lane' | 'release' | 'balance' | 'ledger' | 'unclaimed'

export interface Mismatch {
  kind: MismatchKind
  payer: Address | null
  payee: Address | null
  message: string
  /** The chain's figure and the ledger's, where the mismatch is between two numbers. */
  chain?: bigint
  ledger?: bigint
}

export interface LedgerPair {
  role: Role
  /** The newest receipt held. */
  bytes: bigint
  amount: bigint
  /** Σ paid over confirmed settlement attempts (a payee's ledger; 0 for a payer's). */
  confirmedPaid: bigint
  attempts: number
  failedAttempts: number
  receipts: number
  /** What the confirmed settlements cost (a batch's shared among its entries): gas (TRON: energy), and fees in `feeUnit`. */
  settlementGas: bigint
  settlementFees: bigint
}

/** A pair's lane: rebuilt from events, and the escrow's own figures. */
export interface PairLane {
  /** Rebuilt from events. */
  lane: bigint
  /** The escrow's `laneOf`. */
  onChain: bigint
  reserved: bigint
  released: bigint
  /** How the pair's settlements split between its lane and the payer's free balance (they add up to `chain.paid`). */
  paidFromLane: bigint
  paidFromFree: bigint
  /** The escrow's pending release and where it stands at the report's `now`; null when none. */
  pendingRelease: (Withdrawal & { state: PendingState }) | null
}

/** A payer's free balance: rebuilt from events (with its parts), and the escrow's `balanceOf`. */
export interface PayerAudit extends PayerFunds {
  onChain: bigint
  mismatches: Mismatch[]
}

export interface PairAudit {
  payer: Address
  payee: Address
  /** From events; undefined fields never happen: a pair without events has zeros. */
  chain: ChainPair & { paidOut: bigint }
  lane: PairLane
  ledger: LedgerPair | null
  /** What the ledger's newest receipt is worth beyond what the escrow paid (still claimable). */
  unsettledAmount: bigint
  unsettledBytes: bigint
  /** Price of the newest cashed receipt (or, if none, the ledger's newest) in token base units per GiB. */
  tokenPerGiB: bigint | null
  mismatches: Mismatch[]
}

export interface AuditReport {
  chainId: bigint
  escrow: string
  /** What fees are counted in: sun (TRON) or wei (an EVM chain's coin). */
  feeUnit: 'sun' | 'wei'
  subject: { payee: Address } | { payer: Address }
  fromBlock: number
  toBlock: number
  /** The unix seconds pending releases were judged at, and how long an unlocked one stays executable. */
  now: bigint
  withdrawalWindow: bigint
  pairs: PairAudit[]
  /** The payers of `pairs` (or the audited payer): their free balances. */
  payers: PayerAudit[]
  /**
   * The subject's payouts it refused (a contract account on the native escrow) and can still `claim`: rebuilt from
   * events and the escrow's `unclaimedOf`. Settlements paid into it count as paid: the money left the payer.
   */
  unclaimed: { account: Address, events: bigint, onChain: bigint }
  /** Every mismatch: the pairs', the payers' and the ledger-wide ones. */
  mismatches: Mismatch[]
  totals: { paid: bigint, bytes: bigint, unsettled: bigint, bounced: bigint, lane: bigint, paidFromLane: bigint, paidFromFree: bigint, settlementGas: bigint, settlementFees: bigint }
  ok: boolean
}

/** Audits everything paid to `payee`. */
export async function auditPayee (components: AuditComponents, payee: string, options: AuditOptions = {}): Promise<AuditReport> {
  return await reconcile(components, { payee }, options)
}

/** How often the audit starts over when the escrow logged events while it read the escrow's views. */
const SNAPSHOT_ATTEMPTS = 3

/**
 * Reconciles `subject`'s books. The events are read up to a head block and the escrow's views after them; a
 * settlement mined in between would show as a mismatch that is not one, so when events arrived past that head
 * the audit starts over from scratch (up to three times, then it reports what it read).
 */
export async function reconcile (components: AuditComponents, subject: AuditSubject, options: AuditOptions = {}): Promise<AuditReport> {
  const call = options.signal !== undefined ? { signal: options.signal } : {}
  for (let attempt = 1; ; attempt++) {
    const report = await reconcileOnce(components, subject, options)
    if (attempt >= SNAPSHOT_ATTEMPTS) return report
    const later = await components.chain.eventsSince(report.toBlock + 1, call)
    if (later.events.length === 0) return report
  }
}

/**
 * Every event from `fromBlock` to the head, over as many pages as the client needs (a TRON block scan reads at
 * most `maxScanBlocks` per call; an EVM node may cap a log range the same way).
 */
async function eventsToHead (chain: AuditComponents['chain'], fromBlock: number, call: { signal?: AbortSignal }): Promise<EventPage> {
  const head = await chain.blockNumber(call)
  const events: EscrowEvent[] = []
  for (let from = fromBlock; ;) {
    const page = await chain.eventsSince(from, { ...call, toBlock: head })
    events.push(...page.events)
    if (page.toBlock >= head || page.toBlock < from) return { events, toBlock: Math.max(page.toBlock, from - 1) }
    from = page.toBlock + 1
  }
}

async function reconcileOnce (components: AuditComponents, subject: AuditSubject, options: AuditOptions): Promise<AuditReport> {
  const { chain, ledger } = components
  const who: { payee: Address } | { payer: Address } = 'payee' in subject ? { payee: toAddress(subject.payee) } : { payer: toAddress(subject.payer) }
  const ours = (payer: Address, payee: Address): boolean => ('payee' in who ? payee === who.payee : payer === who.payer)
  const role: Role = 'payee' in who ? 'payee' : 'payer'
  const fromBlock = options.fromBlock ?? 0
  const now = options.now ?? BigInt(Math.floor(Date.now() / 1000))
  const call = options.signal !== undefined ? { signal: options.signal } : {}

  const page = await eventsToHead(chain, fromBlock, call)
  const onChain = chainTotals(page.events, ours)
  const replay = replayLanes(page.events)
  const lanes = new Map([...replay.pairs].filter(([, p]) => ours(p.payer, p.payee)))
  const window = await chain.withdrawalWindow(call)
  const escrow = chain.escrow.toLowerCase()
  const channels = new Map<string, ChannelState>()
  for (const ch of ledger.channels()) {
    const { key } = ch
    if (key.chainId !== chain.chainId || key.escrow !== escrow || ch.role !== role || !ours(key.payer, key.payee)) continue
    channels.set(pairId(key.payer, key.payee), ch)
  }

  const pairs: PairAudit[] = []
  for (const id of new Set([...channels.keys(), ...onChain.keys(), ...lanes.keys()])) {
    const ch = channels.get(id)
    const c = onChain.get(id)
    const l = lanes.get(id)
    const payer = c?.payer ?? l?.payer ?? ch!.key.payer
    const payee = c?.payee ?? l?.payee ?? ch!.key.payee
    const [{ lane, paidOut }, release] = await Promise.all([chain.laneOf(payer, payee, call), chain.pendingRelease(payer, payee, call)])
    const totals: ChainPair = c ?? { payer, payee, paid: 0n, bytes: 0n, amount: 0n, bounced: 0n, settlements: 0, bounces: 0, txIds: [] }
    const rebuilt: LanePair = l ?? { payer, payee, lane: 0n, reserved: 0n, released: 0n, paidFromLane: 0n, paidFromFree: 0n, pendingRelease: null }
    const onChainLane = { lane, release: release.unlockAt === 0n ? null : { ...release, state: pendingState(release, window, now) } }
    pairs.push(auditPair({ ...totals, paidOut }, rebuilt, onChainLane, ch === undefined ? null : ch, ledger))
  }
  pairs.sort((a, b) => (a.payer + a.payee < b.payer + b.payee ? -1 : 1))

  const payerSet = new Set<Address>('payer' in who ? [who.payer] : pairs.map(p => p.payer))
  const payers: PayerAudit[] = []
  for (const payer of [...payerSet].sort()) {
    const funds = replay.payers.get(payer) ?? { payer, free: 0n, deposited: 0n, withdrawn: 0n, reserved: 0n, released: 0n, paidFromFree: 0n }
    payers.push(auditPayer(funds, await chain.balanceOf(payer, call)))
  }

  const mismatches = [...pairs.flatMap(p => p.mismatches), ...payers.flatMap(p => p.mismatches)]
  for (const problem of ledger.check()) mismatches.push({ kind: 'ledger', payer: null, payee: null, message: problem })
  const own = 'payee' in who ? who.payee : who.payer
  const unclaimed = { account: own, events: unclaimedFromEvents(page.events, own), onChain: await chain.unclaimedOf(own, call) }
  if (unclaimed.events !== unclaimed.onChain) {
    mismatches.push({
      kind: 'unclaimed', payer: 'payer' in who ? own : null, payee: 'payee' in who ? own : null, chain: unclaimed.events, ledger: unclaimed.onChain,
      message: `events rebuild ${unclaimed.events} of unclaimed payouts but the escrow's unclaimedOf is ${unclaimed.onChain}`
    })
  }
  const totals = { paid: 0n, bytes: 0n, unsettled: 0n, bounced: 0n, lane: 0n, paidFromLane: 0n, paidFromFree: 0n, settlementGas: 0n, settlementFees: 0n }
  for (const p of pairs) {
    totals.paid += p.chain.paid
    totals.bytes += p.chain.bytes
    totals.unsettled += p.unsettledAmount
    totals.bounced += p.chain.bounced
    totals.lane += p.lane.onChain
    totals.paidFromLane += p.lane.paidFromLane
    totals.paidFromFree += p.lane.paidFromFree
    totals.settlementGas += p.ledger?.settlementGas ?? 0n
    totals.settlementFees += p.ledger?.settlementFees ?? 0n
  }
  return {
    chainId: chain.chainId, escrow: chain.escrow, feeUnit: chain.feeUnit, subject: who, fromBlock, toBlock: page.toBlock, now, withdrawalWindow: window,
    pairs, payers, unclaimed, mismatches, totals, ok: mismatches.length === 0
  }
}

/** Σ PayoutDeferred to `account` − Σ Claimed by it: what the native escrow still holds for it. */
function unclaimedFromEvents (events: readonly EscrowEvent[], account: Address): bigint {
  let sum = 0n
  for (const e of events) {
    if (e.name === 'PayoutDeferred' && e.to.toLowerCase() === account) sum += e.amount
    else if (e.name === 'Claimed' && e.account.toLowerCase() === account) sum -= e.amount
  }
  return sum
}

function auditPayer (funds: PayerFunds, balance: bigint): PayerAudit {
  const mismatches: Mismatch[] = []
  if (funds.free !== balance) {
    mismatches.push({
      kind: 'balance', payer: funds.payer, payee: null, chain: funds.free, ledger: balance,
      message: `events rebuild a free balance of ${funds.free} but the escrow's balanceOf is ${balance} (read events from the escrow's deployment block?)`
    })
  }
  return { ...funds, onChain: balance, mismatches }
}

/** The rebuilt lane and pending release against the escrow's. */
function laneMismatches (rebuilt: LanePair, lane: bigint, release: Withdrawal | null): Array<Omit<Mismatch, 'payer' | 'payee'>> {
  const out: Array<Omit<Mismatch, 'payer' | 'payee'>> = []
  if (rebuilt.lane !== lane) {
    out.push({ kind: 'lane', chain: rebuilt.lane, ledger: lane, message: `events rebuild a lane of ${rebuilt.lane} but the escrow's laneOf is ${lane} (events missing?)` })
  }
  const r = rebuilt.pendingRelease
  if ((r?.amount ?? 0n) !== (release?.amount ?? 0n) || (r?.unlockAt ?? 0n) !== (release?.unlockAt ?? 0n)) {
    const say = (w: Withdrawal | null): string => (w === null ? 'none' : `${w.amount} unlocking at ${w.unlockAt}`)
    out.push({ kind: 'release', message: `events rebuild a pending release of ${say(r)} but the escrow's releaseOf is ${say(release)}` })
  }
  return out
}

function auditPair (
  chain: ChainPair & { paidOut: bigint }, rebuilt: LanePair, onChainLane: { lane: bigint, release: PairLane['pendingRelease'] },
  ch: ChannelState | null, ledger: Ledger
): PairAudit {
  const { payer, payee } = chain
  const mismatches: Mismatch[] = []
  const add = (kind: MismatchKind, message: string, figures: { chain?: bigint, ledger?: bigint } = {}): void => {
    mismatches.push({ kind, payer, payee, message, ...figures })
  }
  if (chain.paid !== chain.paidOut) {
    add('state', `events add up to ${chain.paid} paid but the escrow's paidOut is ${chain.paidOut} (read events from an earlier block?)`, { chain: chain.paid, ledger: chain.paidOut })
  }
  for (const m of laneMismatches(rebuilt, onChainLane.lane, onChainLane.release)) mismatches.push({ ...m, payer, payee })
  let books: LedgerPair | null = null
  if (ch === null) {
    // a lane alone on a pair the ledger never met is normal: a payer may reserve before its first session
    if (chain.settlements + chain.bounces > 0) add('unknown-pair', `the escrow paid ${chain.paid} on a pair the ledger has no channel for`, { chain: chain.paid })
  } else {
    const attempts = ledger.settlements(ch.key)
    const history = ledger.history(ch.key)
    books = {
      role: ch.role,
      bytes: ch.newest?.bytes ?? 0n,
      amount: ch.newest?.amount ?? 0n,
      confirmedPaid: attempts.reduce((sum, a) => sum + (a.status === 'confirmed' ? a.paid ?? 0n : 0n), 0n),
      attempts: attempts.length,
      failedAttempts: attempts.filter(a => a.status === 'failed').length,
      receipts: history.length,
      settlementGas: attempts.reduce((sum, a) => sum + (a.status === 'confirmed' ? a.gasUsed ?? 0n : 0n), 0n),
      settlementFees: attempts.reduce((sum, a) => sum + (a.status === 'confirmed' ? a.fee ?? 0n : 0n), 0n)
    }
    if (ch.role === 'payee' && books.confirmedPaid !== chain.paid) {
      add('paid', `the escrow paid ${chain.paid}; the ledger's confirmed settlements say ${books.confirmedPaid}`, { chain: chain.paid, ledger: books.confirmedPaid })
    }
    if (chain.amount > books.amount) {
      add('beyond-newest', `the escrow cashed a receipt for ${chain.amount} but the ledger's newest is ${books.amount}`, { chain: chain.amount, ledger: books.amount })
    }
    const known = new Set(history.map(h => `${h.bytes}/${h.amount}`))
    if (chain.settlements > 0 && !known.has(`${chain.bytes}/${chain.amount}`)) {
      add('unknown-receipt', `the escrow cashed a receipt (${chain.bytes} B, ${chain.amount}) the ledger never recorded`, { chain: chain.amount })
    }
  }
  const newestAmount = books?.amount ?? 0n
  const newestBytes = books?.bytes ?? 0n
  const priceFrom = chain.bytes > 0n ? { bytes: chain.bytes, amount: chain.amount } : { bytes: newestBytes, amount: newestAmount }
  return {
    payer,
    payee,
    chain,
    lane: {
      lane: rebuilt.lane,
      onChain: onChainLane.lane,
      reserved: rebuilt.reserved,
      released: rebuilt.released,
      paidFromLane: rebuilt.paidFromLane,
      paidFromFree: rebuilt.paidFromFree,
      pendingRelease: onChainLane.release
    },
    ledger: books,
    unsettledAmount: newestAmount > chain.paid ? newestAmount - chain.paid : 0n,
    unsettledBytes: newestBytes > chain.bytes ? newestBytes - chain.bytes : 0n,
    tokenPerGiB: priceFrom.bytes > 0n ? priceFrom.amount * GIB / priceFrom.bytes : null,
    mismatches
  }
}
