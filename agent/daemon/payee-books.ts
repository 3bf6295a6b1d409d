/**
 * What a charging daemon is owed, from its ledger and its coverage view: per payer the newest receipt held, what
 * the escrow has paid of it, what backs the rest (lane, trusted free balance) and what does not (at risk). The
 * metrics, the API and the dashboard all read these, so they never disagree.
 */
import { formatBtt, formatUnits, inDomain, type Address } from '../pay/index.ts'
import type { PayeeView } from './payments-view.ts'

export interface PayerBook {
  payer: Address
  /** Bytes and amount of the newest receipt we hold. */
  bytes: bigint
  held: bigint
  /** Paid to us by the escrow (confirmed settlements). */
  settled: bigint
  unsettled: bigint
  /** Its lane for us, and lane + the trusted part of its free balance. */
  lane: bigint
  backed: bigint
  /** Unsettled beyond what backs it. */
  atRisk: bigint
}

export interface PayeeTotals { earned: bigint, settled: bigint, unsettled: bigint, atRisk: bigint, lanes: bigint, payers: number }

export function payerBooks (p: PayeeView): PayerBook[] {
  const out: PayerBook[] = []
  for (const ch of p.ledger.channels()) {
    if (ch.role !== 'payee' || ch.key.payee !== p.account || !inDomain(ch.key, p.domain) || ch.newest === null) continue
    let settled = 0n
    for (const s of p.ledger.settlements(ch.key)) if (s.status === 'confirmed') settled += s.paid ?? 0n
    const held = ch.newest.amount
    const unsettled = held > settled ? held - settled : 0n
    const cover = p.coverage.coverage(ch.key.payer)
    const backed = cover?.total ?? 0n
    out.push({ payer: ch.key.payer, bytes: ch.newest.bytes, held, settled, unsettled, lane: cover?.lane ?? 0n, backed, atRisk: unsettled > backed ? unsettled - backed : 0n })
  }
  return out
}

/** Sums per payer first, so one payer's surplus backing never offsets another's risk. */
export function payeeTotals (books: readonly PayerBook[]): PayeeTotals {
  const t: PayeeTotals = { earned: 0n, settled: 0n, unsettled: 0n, atRisk: 0n, lanes: 0n, payers: books.length }
  for (const b of books) {
    t.earned += b.held
    t.settled += b.settled
    t.unsettled += b.unsettled
    t.atRisk += b.atRisk
    t.lanes += b.lane
  }
  return t
}

/** The books as JSON for the API (BTT as decimal strings, bytes as strings: both exceed 2^53). */
export function booksJson (p: PayeeView, books: readonly PayerBook[]): Record<string, unknown> {
  const t = payeeTotals(books)
  return {
    network: p.network, account: p.account, escrow: p.domain.escrow, chainId: p.domain.chainId.toString(), pricePerMiB: formatBtt(p.pricePerMiB),
    totals: { earned: formatBtt(t.earned), settled: formatBtt(t.settled), unsettled: formatBtt(t.unsettled), atRisk: formatBtt(t.atRisk), lanes: formatBtt(t.lanes), payers: t.payers },
    payers: books.map(b => ({
      payer: b.payer, bytes: b.bytes.toString(), held: formatBtt(b.held), settled: formatBtt(b.settled), unsettled: formatBtt(b.unsettled),
      lane: formatBtt(b.lane), backed: formatBtt(b.backed), atRisk: formatBtt(b.atRisk)
    }))
  }
}

/** The newest settlement attempts across every payer (newest first), with what each cost. */
export function recentSettlements (p: PayeeView, limit = 50): Array<Record<string, unknown>> {
  const all: Array<Record<string, unknown> & { updatedAt: number }> = []
  for (const ch of p.ledger.channels()) {
    if (ch.role !== 'payee' || ch.key.payee !== p.account || !inDomain(ch.key, p.domain)) continue
    for (const s of p.ledger.settlements(ch.key)) {
      all.push({
        payer: ch.key.payer, txId: s.txId, status: s.status, bytes: s.bytes.toString(), amount: formatBtt(s.amount),
        paid: s.paid === null ? null : formatBtt(s.paid), gasUsed: s.gasUsed?.toString() ?? null,
        fee: s.fee === null ? null : formatUnits(s.fee, p.feeCoin.decimals), feeCoin: p.feeCoin.symbol, error: s.error,
        createdAt: s.createdAt, updatedAt: s.updatedAt
      })
    }
  }
  return all.sort((a, b) => b.updatedAt - a.updatedAt).slice(0, limit)
}

/** A payer's earnings series, kept while its newest receipt is the same (the dashboard asks every second). */
export type EarningsCache = Map<string, { newest: bigint, series: Array<[number, number]> }>

/**
 * Each payer's receipts over time ([ms, BTT held]), at most `points` per payer (evenly thinned, the newest kept).
 * With `cache`, a channel's history is read again only when its newest receipt moved.
 */
export function earningsOverTime (p: PayeeView, points = 120, cache?: EarningsCache): Record<string, Array<[number, number]>> {
  const out: Record<string, Array<[number, number]>> = {}
  for (const ch of p.ledger.channels()) {
    if (ch.role !== 'payee' || ch.key.payee !== p.account || !inDomain(ch.key, p.domain) || ch.newest === null) continue
    const cached = cache?.get(ch.key.payer)
    if (cached !== undefined && cached.newest === ch.newest.bytes) { out[ch.key.payer] = cached.series; continue }
    const h = p.ledger.history(ch.key)
    if (h.length === 0) continue
    const step = Math.max(1, Math.ceil(h.length / points))
    const series: Array<[number, number]> = []
    for (let i = 0; i < h.length; i += step) series.push([h[i]!.recordedAt, Number(h[i]!.amount) / 1e18])
    const last = h.at(-1)!
    if (series.at(-1)?.[0] !== last.recordedAt) series.push([last.recordedAt, Number(last.amount) / 1e18])
    cache?.set(ch.key.payer, { newest: ch.newest.bytes, series })
    out[ch.key.payer] = series
  }
  return out
}
