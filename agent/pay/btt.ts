/**
 * BTT amounts as text, the one formatter for every layer (CLI fields and messages, refusal reasons sent to peers,
 * the audit table, the demo). Exact by default: base units are bigints and are never passed through floating point.
 */

/** BTT (TRC-20, mainnet TAFjULxiVgT4qWk6UZwjqwZXTSaGaqnVp4) and TestBTT both have 18 decimals. */
export const BTT_DECIMALS = 18

export interface BttFormat {
  /** Keep at most this many fraction digits, cutting (not rounding) the rest. @default 18: exact */
  maxDecimals?: number
  /** Group the whole part in thousands: 8,564,640. @default false (machine-readable) */
  grouped?: boolean
}

/**
 * Base units as a BTT decimal without trailing zeros and without a unit: 1500000000000000000n → "1.5". The
 * default (exact, ungrouped) is what `parseBtt` reads back, so JSON fields use it.
 */
export function formatBtt (units: bigint, format: BttFormat = {}): string {
  return formatUnits(units, BTT_DECIMALS, format)
}

/** A plain BTT decimal: digits with at most one point (underscores, as in 1_000, are dropped first). */
const BTT_DECIMAL = /^([0-9]+)?(?:\.([0-9]+))?$/

/**
 * A BTT decimal ("12", "0.5", "1.000000000000000001") as exact base units, the inverse of `formatBtt`; null for
 * anything else (a sign, more than 18 decimals, an empty string). Callers say what was wrong in their own words.
 */
export function bttUnits (text: string): bigint | null {
  const m = BTT_DECIMAL.exec(text.trim().replace(/_/g, ''))
  if (m === null || (m[1] === undefined && m[2] === undefined)) return null
  const frac = m[2] ?? ''
  if (frac.length > BTT_DECIMALS) return null
  return BigInt(m[1] ?? '0') * 10n ** BigInt(BTT_DECIMALS) + BigInt(frac.padEnd(BTT_DECIMALS, '0'))
}

/** Base units of any coin with `decimals` (TRX: 6) as a decimal, the same way as `formatBtt`. */
export function formatUnits (units: bigint, decimals: number, format: BttFormat = {}): string {
  const unit = 10n ** BigInt(decimals)
  const sign = units < 0n ? '-' : ''
  const abs = units < 0n ? -units : units
  const whole = abs / unit
  const digits = Math.max(0, Math.min(decimals, format.maxDecimals ?? decimals))
  const frac = (abs % unit).toString().padStart(decimals, '0').slice(0, digits).replace(/0+$/, '')
  const wholeText = format.grouped === true ? groupThousands(whole.toString()) : whole.toString()
  return `${sign}${wholeText}${frac === '' ? '' : '.' + frac}`
}

/** For people: "8,564,640 BTT", "0.000001 BTT" (exact, grouped, with the unit). */
export function bttText (units: bigint): string {
  return `${formatBtt(units, { grouped: true })} BTT`
}

/** A price for people: "0.01 BTT/MiB". */
export function priceText (perMiB: bigint): string {
  return `${formatBtt(perMiB, { grouped: true })} BTT/MiB`
}

/** "8564640" → "8,564,640"; a decimal's fraction is left alone ("1234.5678" → "1,234.5678"). */
export function groupThousands (decimal: string): string {
  const m = /^(-?)([0-9]+)(\.[0-9]+)?$/.exec(decimal)
  if (m === null) return decimal
  return `${m[1] ?? ''}${(m[2] ?? '').replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] ?? ''}`
}

/** The coin a chain's transaction fees are paid in: its symbol, its decimals, and what its gas is called. */
export interface FeeCoin { symbol: string, decimals: number, gasName: 'energy' | 'gas' }

/** TRON: fees in TRX (10^6 sun), gas called energy. */
export const TRX_FEE_COIN: FeeCoin = { symbol: 'TRX', decimals: 6, gasName: 'energy' }

/** An EVM chain's coin (ETH on anvil, BTT on BitTorrent Chain): 18 decimals, counted in wei. */
export function evmFeeCoin (symbol: string): FeeCoin {
  return { symbol, decimals: 18, gasName: 'gas' }
}

/** A transaction fee for people and JSON: "1.7812 TRX", "0.000012 BTT" (exact), from base units of `coin`. */
export function feeText (fee: bigint, coin: FeeCoin): string {
  return `${formatUnits(fee, coin.decimals)} ${coin.symbol}`
}
