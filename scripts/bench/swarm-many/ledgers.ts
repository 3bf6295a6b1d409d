/**
 * Receipts the paid swarm's accounts stored, read from their SQLite ledgers in SEEDPAY_HOME (one per account):
 * what the leechers signed to a charging peer and what they signed to peers that charge nothing (other leechers).
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'

export interface ReceiptCounts { charged: number, free: number }

export function payerReceipts (home: string): ReceiptCounts {
  const out: ReceiptCounts = { charged: 0, free: 0 }
  for (const f of readdirSync(home).filter(f => /^ledger-.*\.sqlite$/.test(f))) {
    const db = new Database(join(home, f), { readonly: true })
    try {
      const rows = db.prepare<[], { free: number, n: number }>(
        "SELECT (coalesce(price_per_mib, '0') = '0') AS free, count(*) AS n FROM receipts JOIN channels ON channels.id = receipts.channel_id WHERE role = 'payer' GROUP BY 1"
      ).all()
      for (const r of rows) { if (r.free === 1) out.free += r.n; else out.charged += r.n }
    } finally {
      db.close()
    }
  }
  return out
}
