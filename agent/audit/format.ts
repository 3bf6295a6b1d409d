/** Renders an AuditReport: a plain-text table for people, plain JSON (big integers as strings) for scripts. */
import type { AuditReport } from './reconcile.ts'

/** BTT has 18 decimals (TRC-20 BTT and TestBTT alike). */
const DECIMALS = 18n

/** Token base units as a decimal with up to `digits` fraction digits and a unit: `1.5 BTT`. */
export function formatToken (amount: bigint, unit = 'BTT', digits = 6): string {
  const sign = amount < 0n ? '-' : ''
  const abs = amount < 0n ? -amount : amount
  const scale = 10n ** DECIMALS
  const frac = (abs % scale).toString().padStart(Number(DECIMALS), '0').slice(0, digits).replace(/0+$/, '')
  return `${sign}${(abs / scale).toLocaleString('en-US')}${frac === '' ? '' : '.' + frac} ${unit}`
}

export function formatBytes (bytes: bigint): string {
  const n = Number(bytes)
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${v.toFixed(1)} ${units[u]!}`
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
export function auditTable (report: AuditReport, options: { fullAddresses?: boolean } = {}): string {
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
  const problems = report.mismatches.map(m => `  ✗ ${m.kind}${m.payer === null ? '' : ` ${addr(m.payer)}→${addr(m.payee ?? '')}`}: ${m.message}`)
  return [table, ...problems].join('\n')
}

/** The report as JSON-safe data: big integers as decimal strings. */
export function auditJson (report: AuditReport): unknown {
  return JSON.parse(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
}
