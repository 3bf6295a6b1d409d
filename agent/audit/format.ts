/** Renders an AuditReport: a plain-text table for people, plain JSON (big integers as strings) for scripts. */
import { evmFeeCoin, feeText, formatBtt, groupThousands, TRX_FEE_COIN, type FeeCoin } from '../pay/index.ts'
import { formatBytes } from '../util/format-bytes.ts'
import type { AuditReport, PairAudit } from './reconcile.ts'

/** Token base units with up to `digits` fraction digits (cut, not rounded), grouped, and a unit: `8,564,640.5 BTT`. */
export function formatToken (amount: bigint, unit = 'BTT', digits = 6): string {
  return `${formatBtt(amount, { maxDecimals: digits, grouped: true })} ${unit}`
}

export function shortAddress (address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`
}

export function renderTable (headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(headers), widths.map(w => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** One row per pair (paid, bytes, unsettled, bounced, BTT per GiB, ✓ or the mismatch kinds), then a total. */
export interface AuditTableOptions {
  fullAddresses?: boolean
  /** The coin fees are paid in (TRX on TRON; the EVM network's coin). @default by `report.feeUnit`, as TRX or ETH */
  feeCoin?: FeeCoin
}

export function auditTable (report: AuditReport, options: AuditTableOptions = {}): string {
  const addr = (a: string): string => (options.fullAddresses === true ? a : shortAddress(a))
  const byPayee = 'payee' in report.subject
  const rows = report.pairs.map(p => [
    addr(byPayee ? p.payer : p.payee),
    formatToken(p.chain.paid),
    formatBytes(p.chain.bytes),
    formatToken(p.unsettledAmount),
    formatToken(p.chain.bounced),
    p.tokenPerGiB === null ? '–' : formatToken(p.tokenPerGiB),
    p.mismatches.length === 0 ? '✓' : '✗ ' + [...new Set(p.mismatches.map(m => m.kind))].join(', ')
  ])
  const t = report.totals
  rows.push(['total', formatToken(t.paid), formatBytes(t.bytes), formatToken(t.unsettled), formatToken(t.bounced), '',
    report.ok ? '✓' : `✗ ${report.mismatches.length} mismatch${report.mismatches.length === 1 ? '' : 'es'}`])
  const table = renderTable([byPayee ? 'payer' : 'payee', 'paid (chain)', 'bytes settled', 'unsettled', 'bounced', 'BTT/GiB', 'match'], rows)
  const problems = report.mismatches.map(m => `  ✗ ${m.kind}${m.payer === null ? '' : ` ${addr(m.payer)}${m.payee === null ? '' : `→${addr(m.payee)}`}`}: ${m.message}`)
  const unclaimed = report.unclaimed.onChain > 0n || report.unclaimed.events > 0n
    ? [`unclaimed payouts: ${formatToken(report.unclaimed.onChain)} waiting in the escrow for ${addr(report.unclaimed.account)} (it refused them as they were paid: a contract takes them by calling the escrow's claim(to))`]
    : []
  return [table, feesLine(report, options.feeCoin), ...unclaimed, '', lanesTable(report, addr), '', balancesTable(report, addr), ...problems].join('\n')
}

/** What the ledger's confirmed settlements cost the subject: gas (TRON: energy) and the coin burnt for it. */
function feesLine (report: AuditReport, coin?: FeeCoin): string {
  const t = report.totals
  const c = coin ?? (report.feeUnit === 'sun' ? TRX_FEE_COIN : evmFeeCoin('ETH'))
  return `settlement costs (the ledger's confirmed settlements): ${c.gasName} ${groupThousands(t.settlementGas.toString())}, fees ${feeText(t.settlementFees, c)}`
}

const LANE_KINDS = new Set(['lane', 'release'])

/** The pairs with a lane (now or ever, or a pending release): the lane, how settlements split, the release. */
function lanesTable (report: AuditReport, addr: (a: string) => string): string {
  const byPayee = 'payee' in report.subject
  const shown = report.pairs.filter(p => p.lane.reserved > 0n || p.lane.onChain > 0n || p.lane.pendingRelease !== null || p.mismatches.some(m => LANE_KINDS.has(m.kind)))
  if (shown.length === 0) return 'lanes: none'
  const rows = shown.map(p => {
    const wrong = [...new Set(p.mismatches.filter(m => LANE_KINDS.has(m.kind)).map(m => m.kind))]
    return [
      addr(byPayee ? p.payer : p.payee),
      formatToken(p.lane.onChain),
      formatToken(p.lane.paidFromLane),
      formatToken(p.lane.paidFromFree),
      pendingText(p.lane.pendingRelease),
      wrong.length === 0 ? '✓' : '✗ ' + wrong.join(', ')
    ]
  })
  return 'lanes\n' + renderTable([byPayee ? 'payer' : 'payee', 'lane (chain)', 'paid from lane', 'paid from free', 'pending release', 'match'], rows)
}

/** Each payer's free balance on chain, with the events' parts that rebuild it. */
function balancesTable (report: AuditReport, addr: (a: string) => string): string {
  if (report.payers.length === 0) return 'free balances: none'
  const rows = report.payers.map(p => [
    addr(p.payer), formatToken(p.onChain), formatToken(p.deposited), formatToken(p.withdrawn), formatToken(p.reserved), formatToken(p.released),
    formatToken(p.paidFromFree), p.mismatches.length === 0 ? '✓' : `✗ events say ${formatToken(p.free)}`
  ])
  return 'free balances\n' + renderTable(['payer', 'free (chain)', 'deposited', 'withdrawn', 'into lanes', 'out of lanes', 'paid from free', 'match'], rows)
}

function pendingText (w: PairAudit['lane']['pendingRelease']): string {
  if (w === null) return '–'
  const amount = formatToken(w.amount)
  if (w.state === 'locked') return `${amount}, unlocks ${iso(w.unlockAt)}`
  if (w.state === 'open') return `${amount}, executable since ${iso(w.unlockAt)}`
  return `${amount}, expired (unlocked ${iso(w.unlockAt)})`
}

function iso (unix: bigint): string {
  return new Date(Number(unix) * 1000).toISOString().replace('.000Z', 'Z')
}

/** The report as JSON-safe data: big integers as decimal strings. */
export function auditJson (report: AuditReport): unknown {
  return JSON.parse(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
}
