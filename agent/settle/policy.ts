/**
 * What a settlement costs and when a pair is worth one. Cost = energy (or gas) × the network's fee price
 * (TRON: sun per energy from `getenergyprices`; EVM: wei per gas from `eth_gasPrice`, read by FeeOracle) × what one
 * fee unit is worth in token base units (a market rate the operator sets). A pair is worth settling once its
 * unsettled amount is `ratio` times the cost of its share of the transaction. Pure: numbers in, numbers out.
 */
import type { Thresholds } from './planner.ts'

/** `settle` on a known pair: 56,840 gas before lanes (docs/benchmarks.md), 57,678 with them (measured on daf3062), rounded up. */
export const LONE_SETTLE_ENERGY = 58_000n
/** One receipt of a 50-receipt `settleBatch` on known pairs: 17,843 gas (docs/benchmarks.md). */
export const BATCH_RECEIPT_ENERGY = 17_843n
/**
 * One receipt of a 50-receipt batch whose lane covers it: the pair's paidOut and lane share a slot and the account
 * slot is not touched (docs/contract.md, lanes): 12,559 gas measured on daf3062 (17,822 free-only, same run), rounded up.
 */
export const LANE_RECEIPT_ENERGY = 12_600n
/** TRON's price of energy since 2025-08-29, used until the first `getenergyprices` read succeeds. */
export const TRON_SUN_PER_ENERGY = 100n
/** An EVM gas price used until the first `eth_gasPrice` read succeeds (1 gwei, anvil's order of magnitude). */
export const EVM_WEI_PER_GAS = 10n ** 9n
/**
 * Token base units one sun is worth on TRON: 1 TRX (10^6 sun) ≈ 480,000 BTT after the 1:1000 redenomination, so one
 * sun ≈ 0.48 BTT = 4.8·10^17 base units (18 decimals). A market rate: set it from a price feed in production.
 */
export const TRON_TOKEN_PER_SUN = 48n * 10n ** 16n
/** On an EVM chain whose gas token is BTT (BTTC), one wei of gas is one base unit of BTT. */
export const BTTC_TOKEN_PER_WEI = 1n
/** Settle once the money is worth ten times the energy spent fetching it. */
export const DEFAULT_COST_RATIO = 10n

/** Energy per way of sending a receipt. */
export interface SettlementEnergy {
  lone: bigint
  batched: bigint
  lane: bigint
}

export const DEFAULT_ENERGY: SettlementEnergy = { lone: LONE_SETTLE_ENERGY, batched: BATCH_RECEIPT_ENERGY, lane: LANE_RECEIPT_ENERGY }

export interface SettlementCostInit {
  /** Energy of one settlement. @default LONE_SETTLE_ENERGY (58,000) */
  energy?: bigint
  /** Fee units per energy/gas: sun on TRON, wei on EVM. @default TRON_SUN_PER_ENERGY (100) */
  feePrice?: bigint
  /** Token base units per fee unit. @default TRON_TOKEN_PER_SUN (4.8·10^17) */
  tokenPerFeeUnit?: bigint
}

/** What a settlement of `energy` costs, in token base units. */
export function settlementCost (init: SettlementCostInit = {}): bigint {
  return (init.energy ?? LONE_SETTLE_ENERGY) * (init.feePrice ?? TRON_SUN_PER_ENERGY) * (init.tokenPerFeeUnit ?? TRON_TOKEN_PER_SUN)
}

export interface ThresholdInit {
  feePrice: bigint
  tokenPerFeeUnit: bigint
  /** @default DEFAULT_COST_RATIO (10) */
  ratio?: bigint
  /** @default DEFAULT_ENERGY */
  energy?: Partial<SettlementEnergy>
}

/** The least unsettled amount worth settling, per way of sending it: cost of that share × ratio. */
export function thresholdsFor (init: ThresholdInit): Thresholds {
  const energy = { ...DEFAULT_ENERGY, ...init.energy }
  const ratio = init.ratio ?? DEFAULT_COST_RATIO
  const at = (e: bigint): bigint => settlementCost({ energy: e, feePrice: init.feePrice, tokenPerFeeUnit: init.tokenPerFeeUnit }) * ratio
  return { lone: at(energy.lone), batched: at(energy.batched), lane: at(energy.lane) }
}

/**
 * The batch threshold at a given fee (TRON's defaults when omitted): the figure shown to operators.
 * At 100 sun and 0.48 BTT per sun: 17,843 × 100 × 4.8·10^17 × 10 = 8,564,640 BTT.
 */
export function defaultMinAmount (init: Partial<ThresholdInit> = {}): bigint {
  return thresholdsFor({ feePrice: TRON_SUN_PER_ENERGY, tokenPerFeeUnit: TRON_TOKEN_PER_SUN, ...init }).batched
}

/**
 * The cost of the settlement an urgent event would trigger: one receipt sent alone. The watchtower acts only when
 * an event puts at least this much at risk, so a payer cannot make us burn more than we recover.
 */
export function urgentSettlementCost (feePrice: bigint, tokenPerFeeUnit: bigint, energy: bigint = LONE_SETTLE_ENERGY): bigint {
  return settlementCost({ energy, feePrice, tokenPerFeeUnit })
}
