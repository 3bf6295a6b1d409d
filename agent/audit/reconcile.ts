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
 * - `ledger`: the ledger's own consistency check failed (newest receipt vs history, SQLite integrity).
 */
import type { EscrowClient } from '../chain/index.ts'
import type { ChannelState, Ledger, Role } from '../ledger/index.ts'
import { toAddress, type Address } from '../pay/index.ts'
import { chainTotals, pairId, type ChainPair } from './totals.ts'

/** 2^30 bytes: prices are reported per GiB. */
export const GIB = 1n << 30n

export type AuditSubject = { payee: string } | { payer: string }

export interface AuditComponents {
  chain: Pick<EscrowClient, 'chainId' | 'escrow' | 'eventsSince' | 'paidOut'>
  ledger: Ledger
}

export interface AuditOptions {
  /** First block to read events from (the escrow's deployment block is enough). @default 0 */
  fromBlock?: number
  signal?: AbortSignal
}

export type MismatchKind = 'paid' | 'unknown-receipt' | 'beyond-newest' | 'unknown-pair' | 'state' | 'ledger'

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
}

export interface PairAudit {
  payer: Address
  payee: Address
  /** From events; undefined fields never happen: a pair without events has zeros. */
  chain: ChainPair & { paidOut: bigint }
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
  subject: { payee: Address } | { payer: Address }
  fromBlock: number
  toBlock: number
  pairs: PairAudit[]
  /** Every mismatch: the pairs' and the ledger-wide ones. */
  mismatches: Mismatch[]
  totals: { paid: bigint, bytes: bigint, unsettled: bigint, bounced: bigint }
  ok: boolean
}

/** Audits everything paid to `payee`. */
export async function auditPayee (components: AuditComponents, payee: string, options: AuditOptions = {}): Promise<AuditReport> {
  return await reconcile(components, { payee }, options)
}

export async function reconcile (components: AuditComponents, subject: AuditSubject, options: AuditOptions = {}): Promise<AuditReport> {
  const { chain, ledger } = components
  const who: { payee: Address } | { payer: Address } = 'payee' in subject ? { payee: toAddress(subject.payee) } : { payer: toAddress(subject.payer) }
  const ours = (payer: Address, payee: Address): boolean => ('payee' in who ? payee === who.payee : payer === who.payer)
  const role: Role = 'payee' in who ? 'payee' : 'payer'
  const fromBlock = options.fromBlock ?? 0
  const call = options.signal !== undefined ? { signal: options.signal } : {}

  const page = await chain.eventsSince(fromBlock, call)
  const onChain = chainTotals(page.events, ours)
  const escrow = chain.escrow.toLowerCase()
  const channels = new Map<string, ChannelState>()
  for (const ch of ledger.channels()) {
    const { key } = ch
    if (key.chainId !== chain.chainId || key.escrow !== escrow || ch.role !== role || !ours(key.payer, key.payee)) continue
    channels.set(pairId(key.payer, key.payee), ch)
  }

  const pairs: PairAudit[] = []
  for (const id of new Set([...channels.keys(), ...onChain.keys()])) {
    const ch = channels.get(id)
    const c = onChain.get(id)
    const payer = c?.payer ?? ch!.key.payer
    const payee = c?.payee ?? ch!.key.payee
    const paidOut = await chain.paidOut(payer, payee, call)
    const totals: ChainPair = c ?? { payer, payee, paid: 0n, bytes: 0n, amount: 0n, bounced: 0n, settlements: 0, bounces: 0, txIds: [] }
    pairs.push(auditPair({ ...totals, paidOut }, ch === undefined ? null : ch, ledger))
  }
  pairs.sort((a, b) => (a.payer + a.payee < b.payer + b.payee ? -1 : 1))

  const mismatches = pairs.flatMap(p => p.mismatches)
  for (const problem of ledger.check()) mismatches.push({ kind: 'ledger', payer: null, payee: null, message: problem })
  const totals = { paid: 0n, bytes: 0n, unsettled: 0n, bounced: 0n }
  for (const p of pairs) {
    totals.paid += p.chain.paid
    totals.bytes += p.chain.bytes
    totals.unsettled += p.unsettledAmount
    totals.bounced += p.chain.bounced
  }
  return { chainId: chain.chainId, escrow: chain.escrow, subject: who, fromBlock, toBlock: page.toBlock, pairs, mismatches, totals, ok: mismatches.length === 0 }
}

function auditPair (chain: ChainPair & { paidOut: bigint }, ch: ChannelState | null, ledger: Ledger): PairAudit {
  const { payer, payee } = chain
  const mismatches: Mismatch[] = []
  const add = (kind: MismatchKind, message: string, figures: { chain?: bigint, ledger?: bigint } = {}): void => {
    mismatches.push({ kind, payer, payee, message, ...figures })
  }
  if (chain.paid !== chain.paidOut) {
    add('state', `events add up to ${chain.paid} paid but the escrow's paidOut is ${chain.paidOut} (read events from an earlier block?)`, { chain: chain.paid, ledger: chain.paidOut })
  }
  let books: LedgerPair | null = null
  if (ch === null) {
    add('unknown-pair', `the escrow paid ${chain.paid} on a pair the ledger has no channel for`, { chain: chain.paid })
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
      receipts: history.length
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
    ledger: books,
    unsettledAmount: newestAmount > chain.paid ? newestAmount - chain.paid : 0n,
    unsettledBytes: newestBytes > chain.bytes ? newestBytes - chain.bytes : 0n,
    tokenPerGiB: priceFrom.bytes > 0n ? priceFrom.amount * GIB / priceFrom.bytes : null,
    mismatches
  }
}
