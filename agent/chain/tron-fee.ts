/**
 * What a TRON write will cost, decided before it is signed: the fee limit to set (the estimate priced at
 * today's energy price, plus a margin) and the TRX it would burn (energy beyond the account's staked energy,
 * bandwidth beyond its free and staked bandwidth). Pure: TronChain reads the figures, this decides.
 *
 * On TRON the fee limit caps all the energy a call may use, staked or bought, in sun: a limit below what the
 * call needs fails it half way (OUT_OF_ENERGY) and still burns the limit, and a limit far above it (the old
 * fixed 300 TRX) lets a bug or a changed contract burn that much. So the limit follows the estimate.
 */
import type { NodeAccountResources } from './tron-node.ts'
import { FeeLimitExceededError, InsufficientEnergyError } from './errors.ts'

/** Headroom over the estimate: java-tron's own estimate can be a few percent low when storage slots change. */
export const DEFAULT_FEE_LIMIT_MARGIN_PERCENT = 20
/** TRON's default since 2021 (sun per byte of bandwidth bought by burning); used when the node does not say. */
export const DEFAULT_BANDWIDTH_PRICE_SUN = 1_000n
/** java-tron charges bandwidth for the signed transaction plus this much room for its result. */
const TX_RESULT_BYTES = 64

export interface TronFeeInput {
  method: string
  /** 0x-hex account, for the error's words. */
  account: string
  /** Energy the call is estimated to use. */
  energy: bigint
  /** Sun per energy and per byte of bandwidth in force. */
  energyPrice: bigint
  bandwidthPrice: bigint
  /** The signed transaction's size: raw data plus its one 65-byte signature. */
  txBytes: number
  resources: NodeAccountResources
  balanceSun: bigint
}

export interface TronBurnPlan {
  /** Energy staked and not yet used, and what the write would burn beyond it (plus bandwidth) at today's prices. */
  energyAvailable: bigint
  burnSun: bigint
}

/** The fee limit for `energy` at `energyPrice` with `marginPercent` on top, rounded up to a whole sun. */
export function feeLimitFor (energy: bigint, energyPrice: bigint, marginPercent: number): bigint {
  const margin = BigInt(Math.ceil(marginPercent))
  return (energy * energyPrice * (100n + margin) + 99n) / 100n
}

/**
 * The fee limit to set, decided before the transaction is built (tronweb refuses a limit above TRON's own cap with an
 * untyped error): FeeLimitExceededError when it would exceed `maxFeeLimitSun`.
 */
export function checkedFeeLimit (method: string, energy: bigint, energyPrice: bigint, marginPercent: number, maxFeeLimitSun: bigint): bigint {
  const feeLimitSun = feeLimitFor(energy, energyPrice, marginPercent)
  if (feeLimitSun > maxFeeLimitSun) throw new FeeLimitExceededError(method, energy, feeLimitSun, maxFeeLimitSun)
  return feeLimitSun
}

/**
 * What the signed write would burn (its bandwidth needs its size), or InsufficientEnergyError when the account cannot
 * pay it. The fee limit does not enter: on TRON it caps staked and bought energy alike.
 */
export function planTronBurn (i: TronFeeInput): TronBurnPlan {
  const r = i.resources
  const energyAvailable = nonNegative(BigInt(r.EnergyLimit ?? 0) - BigInt(r.EnergyUsed ?? 0))
  const energyBurn = nonNegative(i.energy - energyAvailable) * i.energyPrice
  // Bandwidth comes from staked bandwidth first, then the daily free allowance; short of both, all of it is bought.
  const bytes = BigInt(i.txBytes + TX_RESULT_BYTES)
  const staked = nonNegative(BigInt(r.NetLimit ?? 0) - BigInt(r.NetUsed ?? 0))
  const free = nonNegative(BigInt(r.freeNetLimit ?? 0) - BigInt(r.freeNetUsed ?? 0))
  const bandwidthBurn = staked >= bytes || free >= bytes ? 0n : bytes * i.bandwidthPrice
  const burnSun = energyBurn + bandwidthBurn
  if (burnSun > i.balanceSun) throw new InsufficientEnergyError(i.method, i.account, i.energy, energyAvailable, burnSun, i.balanceSun)
  return { energyAvailable, burnSun }
}

function nonNegative (v: bigint): bigint {
  return v < 0n ? 0n : v
}
