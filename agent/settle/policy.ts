/**
 * When a pair is worth settling: when its unsettled amount is worth `ratio` times the energy a settlement costs.
 * The estimate is deliberately simple and every input is configurable: energy per settlement (measured as gas on
 * the local chain, docs/benchmarks.md), the price of energy in sun (TRON's `getEnergyFee`) and what one sun is
 * worth in token base units (a market rate the operator sets).
 */

/** Energy of one receipt settled alone on a known pair (`settle`: 56,840 gas, docs/benchmarks.md), rounded up. */
export const DEFAULT_SETTLEMENT_ENERGY = 57_000n
/** Sun burnt per unit of energy when none is staked (`getEnergyFee`; 100–210 sun in 2024–2026). */
export const DEFAULT_SUN_PER_ENERGY = 210n
/**
 * Token base units one sun is worth. 1 TRX = 10^6 sun; at ~300,000 BTT per TRX one sun is 0.3 BTT = 3·10^17
 * base units (BTT has 18 decimals). A market rate: set it from a price feed in production.
 */
export const DEFAULT_TOKEN_PER_SUN = 3n * 10n ** 17n
/** Settle once the money is worth ten times the energy spent fetching it. */
export const DEFAULT_COST_RATIO = 10n

export interface SettlementCostInit {
  /** @default DEFAULT_SETTLEMENT_ENERGY (57,000) */
  energy?: bigint
  /** @default DEFAULT_SUN_PER_ENERGY (210) */
  sunPerEnergy?: bigint
  /** @default DEFAULT_TOKEN_PER_SUN (3·10^17) */
  tokenPerSun?: bigint
}

/** What one settlement costs, in token base units. */
export function settlementCost (init: SettlementCostInit = {}): bigint {
  return (init.energy ?? DEFAULT_SETTLEMENT_ENERGY) * (init.sunPerEnergy ?? DEFAULT_SUN_PER_ENERGY) * (init.tokenPerSun ?? DEFAULT_TOKEN_PER_SUN)
}

/** The default threshold: a pair is settled once its unsettled amount reaches cost × ratio. */
export function defaultMinAmount (init: SettlementCostInit & { ratio?: bigint } = {}): bigint {
  return settlementCost(init) * (init.ratio ?? DEFAULT_COST_RATIO)
}
