/** Plain-text tables for the demo's terminal output. */
import { formatToken } from '../../agent/audit/index.ts'

export function table (headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')
  return [line(headers), widths.map(w => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** Token base units as BTT with up to 6 decimals, grouped: the audit's formatter (one for every layer). */
export function btt (amount: bigint): string {
  return formatToken(amount)
}

export function short (address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`
}

export function mib (bytes: bigint): string {
  return `${(Number(bytes) / 2 ** 20).toFixed(1)} MiB`
}
