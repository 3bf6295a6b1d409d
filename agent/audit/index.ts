/**
 * agent/audit: rebuilds every pair's payouts, lanes and every payer's free balance from the escrow's events alone
 * and reconciles them with the ledger and the escrow's own views.
 */
export {
  reconcile, auditPayee, GIB,
  type AuditReport, type AuditSubject, type AuditComponents, type AuditOptions, type PairAudit, type PairLane, type PayerAudit, type LedgerPair, type Mismatch, type MismatchKind
} from './reconcile.ts'
export { chainTotals, pairId, type ChainPair } from './totals.ts'
export { replayLanes, chainOrder, pendingState, type LanePair, type LaneReplay, type PayerFunds, type PendingState } from './lanes.ts'
export { auditTable, auditJson, renderTable, formatToken, shortAddress } from './format.ts'
