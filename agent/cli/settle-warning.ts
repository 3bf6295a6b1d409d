/**
 * `seed --price` too low for the network's settlement fee. The scheduler settles a payer once it owes the settle
 * threshold (by default ten times what settling one receipt in a batch costs in energy or gas, agent/settle/
 * policy.ts); at a low price a payer must download a great deal before that, and until then its receipts are only
 * cashed by the watchtower or on shutdown, where the fee may exceed what they are worth. One warning line says so.
 */
import { MIB, bttText, priceText } from '../pay/index.ts'
import { bytesText } from './event-text.ts'

/** Warn when a payer must download more than this before the threshold: 10 GiB, a few films. */
export const WARN_TRANSFER_MIB = 10_240n

export interface SettleEconomics {
  pricePerMiB: bigint
  /** The scheduler's batch threshold in base units (SettlementScheduler.minAmount). */
  threshold: bigint
  /** Given with --settle-threshold (else derived from the fee). */
  fixed: boolean
  network: string
}

/** The warning line, or null when a payer reaches the threshold within WARN_TRANSFER_MIB. */
export function settleWarning (e: SettleEconomics): string | null {
  if (e.pricePerMiB <= 0n || e.threshold <= 0n) return null
  const mib = (e.threshold + e.pricePerMiB - 1n) / e.pricePerMiB
  if (mib <= WARN_TRANSFER_MIB) return null
  const transfer = bytesText(Number(mib * MIB))
  const enough = priceText((e.threshold + WARN_TRANSFER_MIB - 1n) / WARN_TRANSFER_MIB)
  if (e.fixed) {
    return `at ${priceText(e.pricePerMiB)} a payer must download ${transfer} before it owes --settle-threshold ${bttText(e.threshold)}; ` +
      `until then only the watchtower or your shutdown settles it. Charge at least ${enough} or lower --settle-threshold to settle every 10 GiB`
  }
  return `at ${priceText(e.pricePerMiB)} a payer must download ${transfer} before a settlement is worth its fee on ${e.network} ` +
    `(the settle threshold, ten times the fee of settling one receipt, is ${bttText(e.threshold)}); smaller debts are cashed only by ` +
    `the watchtower or on shutdown, for a fee that may exceed them. Charge at least ${enough} to settle every 10 GiB`
}

/**
 * The risk-settlement line: a seeder settles a payer without a lane early only when what rests on its free
 * balance is worth the settlement (agent/payment/payee-coverage.ts); with `--max-exposure` below that cost it never
 * does, so such a payer is paused at the exposure until it reserves a lane or deposits. Null when one is worth it.
 */
export function exposureWarning (e: { exposureLimit: bigint, settlementCost: bigint, network: string }): string | null {
  if (e.exposureLimit <= 0n || e.settlementCost <= e.exposureLimit / 2n) return null
  return `--max-exposure ${bttText(e.exposureLimit)} is less than twice what one settlement costs on ${e.network} (${bttText(e.settlementCost)}): ` +
    'settling a payer early would burn more than it recovers, so payers without a lane are paused at the exposure until they reserve one ' +
    '(`seedpay get` does by default) or deposit. Raise --max-exposure or ask for a lane with --want-lane'
}
