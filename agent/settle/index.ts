/**
 * agent/settle: cashes a payee's receipts on the escrow. The scheduler settles on a threshold (worth the energy),
 * in batches, on shutdown, and at once when its watchtower sees a payer announce a withdrawal.
 */
export { SettlementScheduler, type SettlementSchedulerComponents, type SettlementSchedulerInit, type SettleSummary } from './scheduler.ts'
export { Watchtower, type WatchtowerComponents, type WatchtowerInit, type WithdrawalRequest } from './watchtower.ts'
export type { SettlementEvents, SettleEntry, SettleReason } from './events.ts'
export {
  settlementCost, defaultMinAmount, DEFAULT_SETTLEMENT_ENERGY, DEFAULT_SUN_PER_ENERGY, DEFAULT_TOKEN_PER_SUN, DEFAULT_COST_RATIO,
  type SettlementCostInit
} from './policy.ts'
export { settleChannel, settleChannels, type SettleOutcome } from './executor.ts'
export { EscrowEventFeed, type EscrowEventFeedComponents, type EscrowEventFeedInit, type EscrowEventFeedEvents } from './event-feed.ts'
export { SchedulerStateError, SchedulerConfigError, FeedConfigError } from './errors.ts'
