/**
 * Opens the ledger's SQLite file (better-sqlite3 v12) in WAL mode and brings its schema up to date.
 *
 * Durability: `synchronous = FULL` by default. In WAL mode NORMAL only fsyncs at checkpoints: it survives a
 * process crash (kill -9; the WAL is in the OS page cache) but a power loss or kernel panic can drop the
 * last commits. A dropped receipt is money: the payee would lose what it already served for, and a payer
 * could re-sign lower cumulative values than it already sent (the payee then refuses them). FULL fsyncs the
 * WAL on every commit and still gives ~5,600 receipt commits/s here (NORMAL: ~110,000/s), far above what a
 * peer needs (one receipt per verified piece), so we pay that price. NORMAL stays available for tests and
 * benchmarks that want it.
 */
import { createRequire } from 'node:module'
import type Database from 'better-sqlite3'
import { MIGRATIONS } from './migrations.ts'
import { LedgerSchemaTooNewError } from './errors.ts'

/** Writers wait this long for a lock held by another connection (e.g. an audit reader) before failing. */
const BUSY_TIMEOUT_MS = 5_000

export type Synchronous = 'FULL' | 'NORMAL'

export interface OpenInit {
  /** @default 'FULL' (see module comment) */
  synchronous?: Synchronous
  /** @default false */
  readonly?: boolean
}

/** better-sqlite3, loaded at the first open: a command that finds no ledger (`seedpay account`) never loads it. */
let driver: typeof Database | undefined

export function openDatabase (path: string, init: OpenInit = {}): Database.Database {
  driver ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database
  const db = new driver(path, { readonly: init.readonly ?? false })
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
  if (init.readonly === true) return db
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${init.synchronous ?? 'FULL'}`)
  db.pragma('foreign_keys = ON')
  migrate(db)
  return db
}

/** Applies every migration past the file's user_version, each in its own transaction. */
export function migrate (db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > MIGRATIONS.length) throw new LedgerSchemaTooNewError(current, MIGRATIONS.length)
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!)
      db.pragma(`user_version = ${v + 1}`)
    }).immediate()
  }
  return MIGRATIONS.length
}
