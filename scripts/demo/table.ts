/** Plain-text tables for the demo's terminal output. */
export function table (headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')
  return [line(headers), widths.map(w => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** Formats token base units (18 decimals) as BTT with up to 6 decimals. */
export function btt (amount: bigint): string {
  const sign = amount < 0n ? '-' : ''
  const abs = amount < 0n ? -amount : amount
  const whole = abs / 10n ** 18n
  const frac = (abs % 10n ** 18n).toString().padStart(18, '0').slice(0, 6).replace(/0+$/, '')
  return `${sign}${whole.toLocaleString('en-US')}${frac === '' ? '' : '.' + frac} BTT`
}

export function short (address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`
}

export function mib (bytes: bigint): string {
  return `${(Number(bytes) / 2 ** 20).toFixed(1)} MiB`
}
