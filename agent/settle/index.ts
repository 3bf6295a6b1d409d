/**
 * agent/settle: cashes a payee's receipts on the escrow. A pure planner decides which pairs are worth settling and
 * how to batch them; the scheduler (the shell) reads the ledger and the chain, runs the executor and records. The
 * watchtower, on a gap-free escrow event feed, settles at once the payers that put our receipts at risk.
 */
export {
  SettlementScheduler, type SettlementSchedulerComponents, type SettlementSchedulerInit, type SettlementCostOptions, type SettleSummary
} from './scheduler.ts'
export { Watchtower, type WatchtowerComponents, type WatchtowerInit, type WatchtowerEvents, type WatchtowerChain, type WatchReason } from './watchtower.ts'
export { EscrowEventFeed, type EscrowEventFeedComponents, type EscrowEventFeedInit, type EscrowEventFeedEvents } from './event-feed.ts'
export {
  plan, planProblems, retryDelay, afterFailure, afterSuccess, chunks, flatThresholds, unsettledOf, laneCovers,
  type Plan, type PlanInput, type PlanCandidate, type PlannedBatch, type Thresholds, type Urgency, type UrgentReason, type RetryPolicy
} from './planner.ts'
export { amountAtRisk, assessRisk, backed, hasAlerts, type PayerAlerts, type PairState } from './risk.ts'
export { FeeOracle, type FeeOracleComponents, type FeeOracleInit } from './fees.ts'
export type { SettlementEvents, SettleEntry, SettleReason, RiskAssessment } from './events.ts'
export {
  settlementCost, thresholdsFor, defaultMinAmount, urgentSettlementCost, DEFAULT_ENERGY, DEFAULT_COST_RATIO, LONE_SETTLE_ENERGY,
  BATCH_RECEIPT_ENERGY, LANE_RECEIPT_ENERGY, TRON_SUN_PER_ENERGY, TRON_TOKEN_PER_SUN, EVM_WEI_PER_GAS, BTTC_TOKEN_PER_WEI,
  type SettlementCostInit, type SettlementEnergy, type ThresholdInit
} from './policy.ts'
export { settleChannel, settleChannels, type SettleOutcome } from './executor.ts'
export { SchedulerStateError, SchedulerConfigError, FeedConfigError, FeeConfigError } from './errors.ts'
