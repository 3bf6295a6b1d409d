/**
 * agent/audit: rebuilds every pair's payouts from the escrow's events alone and reconciles them with the ledger.
 */
export {
  reconcile, auditPayee, GIB,
  type AuditReport, type AuditSubject, type AuditComponents, type AuditOptions, type PairAudit, type LedgerPair, type Mismatch, type MismatchKind
} from './reconcile.ts'
export { chainTotals, pairId, type ChainPair } from './totals.ts'
export { auditTable, auditJson, renderTable, formatToken, formatBytes, shortAddress } from './format.ts'
