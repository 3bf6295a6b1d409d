/**
 * BTT amounts on the command line: decimal strings parsed exactly into base units (bigint, 18 decimals, as
 * BTT's TRC-20 has) and printed back without rounding. Never through floating point: 0.1 BTT is exactly
 * 100000000000000000 base units.
 */
import { BTT_DECIMALS, bttUnits } from '../pay/btt.ts'
import { MIB } from '../pay/price.ts'
import { CliError } from './errors.ts'

// The formatter lives in agent/pay (refusal reasons below the CLI need it too); re-exported for the CLI.
export { BTT_DECIMALS, formatBtt, bttText, priceText, feeText } from '../pay/btt.ts'
const DECIMAL = /^([0-9]+)(?:\.([0-9]+))?$/

/**
 * Parses "12", "0.5" or "1.000000000000000001" BTT into base units.
 * @param what names the value in the error (e.g. "amount", "--price")
 * @throws CliError (exit 2) for negatives, more than 18 decimals, or anything not a plain decimal number
 */
export function parseBtt (what: string, text: string, { allowZero = false } = {}): bigint {
  const s = text.trim()
  if (s.startsWith('-')) throw new CliError(`${what} "${text}" is negative`, `give ${what} as a positive number of BTT, e.g. 1.5`, 2)
  const m = DECIMAL.exec(s.replace(/_/g, ''))
  if (m === null) throw new CliError(`${what} "${text}" is not a number of BTT`, `write ${what} as digits with at most one decimal point, e.g. 10 or 0.25`, 2)
  const frac = m[2] ?? ''
  if (frac.length > BTT_DECIMALS) {
    throw new CliError(`${what} "${text}" has ${frac.length} decimals; BTT has ${BTT_DECIMALS}`, `round ${what} to at most ${BTT_DECIMALS} decimal places`, 2)
  }
  const units = bttUnits(s)!
  if (units === 0n && !allowZero) throw new CliError(`${what} "${text}" is zero`, `give ${what} greater than 0`, 2)
  return units
}

/** "4" or "0.5" MiB into bytes (rounded up to a whole byte). */
export function parseMiB (what: string, text: string): bigint {
  const m = DECIMAL.exec(text.trim())
  if (m === null) throw new CliError(`${what} "${text}" is not a number of MiB`, `write ${what} like 4 or 0.5`, 2)
  const frac = m[2] ?? ''
  if (frac.length > 6) throw new CliError(`${what} "${text}" has more than 6 decimals`, `round ${what} to at most 6 decimal places`, 2)
  const scale = 10n ** BigInt(frac.length)
  const scaled = BigInt(m[1] ?? '0') * scale + BigInt(frac === '' ? '0' : frac)
  return (scaled * MIB + scale - 1n) / scale
}
