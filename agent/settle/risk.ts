/**
 * How much of a pair's unsettled money a payer's pending moves put at risk. Pure: the watchtower (the shell) reads
 * the pair's lane and paidOut and the payer's free balance once per event and asks here.
 *
 * A receipt is backed by the payer's lane for this payee first, then by its free balance. A withdrawal request
 * will take `amount` of the free balance at `unlockAt`; a lane release will take `amount` of the lane; a replaced
 * signer's receipts stop counting at `validUntil`. What is at risk is the part of our unsettled amount that is
 * backed now and would not be afterwards. It is urgent only when it is at least what settling costs: settling
 * then recovers at least the fee, so a payer that requests tiny withdrawals over and over makes us spend nothing.
 */
import type { Address } from '../pay/index.ts'
import type { RiskAssessment } from './events.ts'

/** What a payer has pending that threatens our receipts; kept per payer from the escrow's events. */
export interface PayerAlerts {
  withdrawal?: { amount: bigint, unlockAt: bigint }
  /** A release of its lane for us. */
  release?: { amount: bigint, unlockAt: bigint }
  /** The signer it replaced; receipts that key signed die at `validUntil`. */
  signer?: { previous: Address, validUntil: bigint }
}

export interface PairState {
  /** Our newest receipt's amount minus the pair's paidOut (0 if none). */
  unsettled: bigint
  /** What is left of the payer's lane for us. */
  lane: bigint
  /** The payer's free balance. */
  free: bigint
  /** Who signed our newest receipt (null: we hold none). */
  signedBy: Address | null
}

const min = (a: bigint, b: bigint): bigint => a < b ? a : b
const less = (a: bigint, b: bigint): bigint => a > b ? a - b : 0n

/** The part of `unsettled` that `lane` then `free` back. */
export function backed (unsettled: bigint, lane: bigint, free: bigint): bigint {
  return min(unsettled, lane + free)
}

/** What of our unsettled amount is backed now and would not be once every pending move in `alerts` happens. */
export function amountAtRisk (alerts: PayerAlerts, pair: PairState): bigint {
  const now = backed(pair.unsettled, pair.lane, pair.free)
  if (alerts.signer !== undefined && pair.signedBy !== null && pair.signedBy === alerts.signer.previous) return now
  const lane = less(pair.lane, alerts.release?.amount ?? 0n)
  const free = less(pair.free, alerts.withdrawal?.amount ?? 0n)
  return now - backed(pair.unsettled, lane, free)
}

/** The watchtower's verdict: urgent when at least `cost` (one settlement, in token base units) is at risk. */
export function assessRisk (alerts: PayerAlerts, pair: PairState, cost: bigint): RiskAssessment {
  const atRisk = amountAtRisk(alerts, pair)
  return { unsettled: pair.unsettled, atRisk, urgent: atRisk > 0n && atRisk >= cost }
}

/** Whether anything is pending at all (a payer with no alerts needs no reads). */
export function hasAlerts (alerts: PayerAlerts | undefined): alerts is PayerAlerts {
  return alerts !== undefined && (alerts.withdrawal !== undefined || alerts.release !== undefined || alerts.signer !== undefined)
}
