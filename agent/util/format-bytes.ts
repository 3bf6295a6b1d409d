/** A byte count for people, with a binary unit and one decimal: `1.5 MiB`, `512 B`. The one byte formatter. */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const

export function formatBytes (bytes: number | bigint): string {
  let x = Number(bytes)
  let u = 0
  while (Math.abs(x) >= 1024 && u < UNITS.length - 1) { x /= 1024; u++ }
  return `${x.toFixed(u === 0 ? 0 : 1)} ${UNITS[u]!}`
}
