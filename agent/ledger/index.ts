/** The agent's SQLite ledger (better-sqlite3 v12, WAL, synchronous = FULL): channels, receipts, settlements. */
export { Ledger, type ChannelKey, type Role, type HistoryEntry, type ChannelState, type ReceiptRecord, type SettlementAttempt, type SettlementStatus, type LedgerInit, type LedgerComponents } from './ledger.ts'
export { openDatabase, migrate, type Synchronous, type OpenInit } from './database.ts'
export { MIGRATIONS } from './migrations.ts'
export * from './errors.ts'
