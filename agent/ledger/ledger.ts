/**
 * The agent's books: one row per channel (chain, escrow, payer, payee) with its newest receipt and
 * signature, every receipt ever recorded (audit), and every settlement attempt with its transaction id.
 * A payer records a receipt before sending it; a payee records one before serving more. Cumulative values
 * never go backwards: `record` refuses them inside the same transaction that writes.
 */
import type Database from 'better-sqlite3'
import { openDatabase, type Synchronous } from './database.ts'
import { ChannelRoleMismatchError, LedgerOwnerMismatchError, NonMonotonicReceiptError, UnknownSettlementError } from './errors.ts'
import type { Address } from '../pay/bytes.ts'
import type { ChannelKey } from '../pay/channel-key.ts'
import type { SignedReceipt } from '../pay/receipt.ts'
import { LedgerWriterThread } from './writer-thread.ts'

export type { ChannelKey }

export type Role = 'payer' | 'payee'


export interface HistoryEntry extends SignedReceipt {
  pricePerMiB: bigint | null
  recordedAt: number
}

/** One receipt to record: the channel, our side of it, the receipt, and the price it was signed or accepted at. */
export interface ReceiptRecord {
  key: ChannelKey
  role: Role
  receipt: SignedReceipt
  pricePerMiB?: bigint | null
}

export interface ChannelState {
  key: ChannelKey
  role: Role
  newest: SignedReceipt | null
}

export type SettlementStatus = 'pending' | 'sent' | 'confirmed' | 'failed'

export interface SettlementAttempt {
  id: number
  key: ChannelKey
  bytes: bigint
  amount: bigint
  txId: string | null
  status: SettlementStatus
  paid: bigint | null
  error: string | null
  /** A confirmed attempt's share of its transaction's gas (TRON: energy) and fee (sun or wei); null before. */
  gasUsed: bigint | null
  fee: bigint | null
  /** When it was begun and last updated (ms since the epoch, the ledger's clock). */
  createdAt: number
  updatedAt: number
}

export interface LedgerComponents {
  /** @default Date.now */
  clock?: () => number
}

export interface LedgerInit {
  path: string
  /** @default 'FULL' (see database.ts for why) */
  synchronous?: Synchronous
  /**
   * The local account this agent runs as. The first opener claims an unowned ledger (if every channel in it is
   * this account's); any other account is refused with LedgerOwnerMismatchError. Omitted: no check (readers).
   */
  owner?: Address
}

interface ChannelRow {
  id: number, chain_id: string, escrow: string, payer: string, payee: string, role: Role,
  newest_bytes: string, newest_amount: string, newest_sig: Buffer | null
}
interface SettlementRow {
  id: number, channel_id: number, bytes: string, amount: string, tx_id: string | null, status: SettlementStatus,
  paid: string | null, error: string | null, gas_used: string | null, fee: string | null, created_at: number, updated_at: number
}

const label = (k: ChannelKey): string => `${k.chainId}/${k.escrow}/${k.payer}→${k.payee}`

export class Ledger {
  readonly db: Database.Database
  private readonly clock: () => number
  private readonly stmts
  private readonly ids = new Map<string, number>()
  private readonly path: string
  private readonly claimedBy: Address | undefined
  /** How this ledger was opened: its writer thread opens the same file the same way. */
  private readonly opened: Readonly<LedgerInit>
  private thread: LedgerWriterThread | null = null

  constructor (components: LedgerComponents, init: LedgerInit) {
    this.clock = components.clock ?? Date.now
    this.db = openDatabase(init.path, { synchronous: init.synchronous ?? 'FULL' })
    const db = this.db
    this.path = init.path
    this.claimedBy = init.owner
    this.opened = Object.freeze({ ...init })
    if (init.owner !== undefined) {
      try {
        claimOwner(db, init.path, init.owner, this.clock())
      } catch (err) {
        db.close()
        throw err
      }
    }
    this.stmts = {
      find: db.prepare<[string, string, string, string], ChannelRow>(
        'SELECT * FROM channels WHERE chain_id = ? AND escrow = ? AND payer = ? AND payee = ?'),
      byId: db.prepare<[number], ChannelRow>('SELECT * FROM channels WHERE id = ?'),
      insert: db.prepare<[string, string, string, string, Role, number]>(
        'INSERT INTO channels (chain_id, escrow, payer, payee, role, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      setNewest: db.prepare<[string, string, Buffer, number, number]>(
        'UPDATE channels SET newest_bytes = ?, newest_amount = ?, newest_sig = ?, newest_at = ? WHERE id = ?'),
      addReceipt: db.prepare<[number, string, string, Buffer, string | null, number]>(
        'INSERT INTO receipts (channel_id, bytes, amount, sig, price_per_mib, recorded_at) VALUES (?, ?, ?, ?, ?, ?)'),
      history: db.prepare<[number], { bytes: string, amount: string, sig: Buffer, price_per_mib: string | null, recorded_at: number }>(
        'SELECT bytes, amount, sig, price_per_mib, recorded_at FROM receipts WHERE channel_id = ? ORDER BY id'),
      all: db.prepare<[], ChannelRow>('SELECT * FROM channels ORDER BY id'),
      addSettlement: db.prepare<[number, string, string, number, number]>(
        "INSERT INTO settlements (channel_id, bytes, amount, status, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?)"),
      updateSettlement: db.prepare<[string | null, SettlementStatus, string | null, string | null, string | null, string | null, number, number]>(
        'UPDATE settlements SET tx_id = coalesce(?, tx_id), status = ?, paid = coalesce(?, paid), error = ?, gas_used = coalesce(?, gas_used), fee = coalesce(?, fee), updated_at = ? WHERE id = ?'),
      settlement: db.prepare<[number], SettlementRow>('SELECT * FROM settlements WHERE id = ?'),
      settlements: db.prepare<[number], SettlementRow>('SELECT * FROM settlements WHERE channel_id = ? ORDER BY id')
    }
  }

  /** Opens (creating if needed) the channel and returns its state. */
  open (key: ChannelKey, role: Role): ChannelState {
    const row = this.row(key, role)
    return this.toState(row)
  }

  newest (key: ChannelKey): SignedReceipt | null {
    const row = this.stmts.find.get(key.chainId.toString(), key.escrow, key.payer, key.payee)
    return row === undefined ? null : this.toState(row).newest
  }

  /**
   * Durably records `receipt` as the channel's newest (and in its history), in one transaction.
   * Throws NonMonotonicReceiptError unless it advances the held receipt.
   */
  record (key: ChannelKey, role: Role, receipt: SignedReceipt, pricePerMiB: bigint | null = null): void {
    const [err] = this.recordMany([{ key, role, receipt, pricePerMiB }])
    if (err !== null && err !== undefined) throw err
  }

  /**
   * Group commit: records every entry in one durable transaction (one fsync for all), in order; an entry that does
   * not advance its channel (NonMonotonicReceiptError) or is not this ledger's (LedgerOwnerMismatchError) is
   * skipped and its error returned in its place, without undoing the others.
   * @returns per entry, null once stored or the error that refused it
   */
  recordMany (entries: readonly ReceiptRecord[]): Array<Error | null> {
    return this.db.transaction(() => entries.map(e => {
      try {
        this.write(e)
        return null
      } catch (err) {
        if (err instanceof NonMonotonicReceiptError || err instanceof LedgerOwnerMismatchError || err instanceof ChannelRoleMismatchError) return err
        throw err
      }
    })).immediate()
  }

  /** Checks and writes one entry; throws before writing anything if it does not advance its channel. */
  private write ({ key, role, receipt, pricePerMiB }: ReceiptRecord): void {
    const row = this.row(key, role)
    const held = { bytes: BigInt(row.newest_bytes), amount: BigInt(row.newest_amount) }
    const advances = receipt.bytes >= held.bytes && receipt.amount >= held.amount &&
      (receipt.bytes > held.bytes || receipt.amount > held.amount || row.newest_sig === null)
    if (!advances) throw new NonMonotonicReceiptError(label(key), held, receipt)
    const now = this.clock()
    const sig = Buffer.from(receipt.sig)
    this.stmts.setNewest.run(receipt.bytes.toString(), receipt.amount.toString(), sig, now, row.id)
    this.stmts.addReceipt.run(row.id, receipt.bytes.toString(), receipt.amount.toString(), sig, pricePerMiB?.toString() ?? null, now)
  }

  history (key: ChannelKey): HistoryEntry[] {
    const id = this.idOf(key)
    if (id === null) return []
    return this.stmts.history.all(id).map(r => ({
      bytes: BigInt(r.bytes), amount: BigInt(r.amount), sig: Uint8Array.from(r.sig),
      pricePerMiB: r.price_per_mib === null ? null : BigInt(r.price_per_mib), recordedAt: r.recorded_at
    }))
  }

  channels (): ChannelState[] {
    return this.stmts.all.all().map(r => this.toState(r))
  }

  /** Records a settlement attempt for the channel's receipt `receipt`; returns its id. */
  beginSettlement (key: ChannelKey, receipt: { bytes: bigint, amount: bigint }): number {
    const id = this.idOf(key)
    if (id === null) throw new UnknownSettlementError(-1)
    const now = this.clock()
    return Number(this.stmts.addSettlement.run(id, receipt.bytes.toString(), receipt.amount.toString(), now, now).lastInsertRowid)
  }

  /** Updates an attempt: `sent` with its tx id, then `confirmed` with what the escrow paid, or `failed`. */
  updateSettlement (id: number, update: { status: SettlementStatus, txId?: string, paid?: bigint, error?: string, gasUsed?: bigint, fee?: bigint }): void {
    const res = this.stmts.updateSettlement.run(update.txId ?? null, update.status, update.paid?.toString() ?? null,
      update.error ?? null, update.gasUsed?.toString() ?? null, update.fee?.toString() ?? null, this.clock(), id)
    if (res.changes === 0) throw new UnknownSettlementError(id)
  }

  settlements (key: ChannelKey): SettlementAttempt[] {
    const id = this.idOf(key)
    if (id === null) return []
    return this.stmts.settlements.all(id).map(r => this.toSettlement(r, key))
  }

  settlement (id: number): SettlementAttempt {
    const row = this.stmts.settlement.get(id)
    if (row === undefined) throw new UnknownSettlementError(id)
    const ch = this.stmts.byId.get(row.channel_id)!
    return this.toSettlement(row, this.toState(ch).key)
  }

  /**
   * Consistency check used after crashes: each channel's newest receipt is the last and largest of its
   * history, and the history never goes backwards. Returns the problems found (empty when consistent).
   */
  check (): string[] {
    const problems: string[] = []
    for (const row of this.stmts.all.all()) {
      const hist = this.stmts.history.all(row.id)
      let prev = { bytes: -1n, amount: -1n }
      for (const h of hist) {
        const cur = { bytes: BigInt(h.bytes), amount: BigInt(h.amount) }
        if (cur.bytes < prev.bytes || cur.amount < prev.amount) problems.push(`channel ${row.id}: history goes back at ${h.bytes}`)
        prev = cur
      }
      const last = hist.at(-1)
      if (last === undefined ? row.newest_sig !== null : (last.bytes !== row.newest_bytes || last.amount !== row.newest_amount || !last.sig.equals(row.newest_sig ?? Buffer.alloc(0)))) {
        problems.push(`channel ${row.id}: newest (${row.newest_bytes}, ${row.newest_amount}) is not the last history entry`)
      }
    }
    const integrity = this.db.pragma('integrity_check', { simple: true })
    if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`)
    return problems
  }

  /** The account the ledger belongs to, or null while no agent has claimed it. */
  owner (): Address | null {
    return readOwner(this.db)
  }

  /**
   * The ledger's writer thread (writer-thread.ts), started at the first call: receipts recorded through it are
   * durable off the event loop. It ends with close(), once the writes asked of it are done.
   */
  writerThread (): LedgerWriterThread {
    this.thread ??= new LedgerWriterThread(this.opened, entries => this.recordMany(entries))
    return this.thread
  }

  close (): void {
    this.db.close()
    // its own connection finishes what it was given; nothing waits for it here (a process exits once it has)
    this.thread?.close().catch(() => undefined)
    this.thread = null
  }

  private row (key: ChannelKey, role: Role): ChannelRow {
    const ours = role === 'payer' ? key.payer : key.payee
    if (this.claimedBy !== undefined && ours !== this.claimedBy) throw new LedgerOwnerMismatchError(this.path, this.claimedBy, ours)
    const args = [key.chainId.toString(), key.escrow, key.payer, key.payee] as const
    let row = this.stmts.find.get(...args)
    if (row === undefined) {
      this.stmts.insert.run(...args, role, this.clock())
      row = this.stmts.find.get(...args)!
    }
    if (row.role !== role) throw new ChannelRoleMismatchError(label(key), row.role, role)
    this.ids.set(label(key), row.id)
    return row
  }

  private idOf (key: ChannelKey): number | null {
    const cached = this.ids.get(label(key))
    if (cached !== undefined) return cached
    const row = this.stmts.find.get(key.chainId.toString(), key.escrow, key.payer, key.payee)
    return row?.id ?? null
  }

  private toState (row: ChannelRow): ChannelState {
    return {
      key: { chainId: BigInt(row.chain_id), escrow: row.escrow as Address, payer: row.payer as Address, payee: row.payee as Address },
      role: row.role,
      newest: row.newest_sig === null
        ? null
        : { bytes: BigInt(row.newest_bytes), amount: BigInt(row.newest_amount), sig: Uint8Array.from(row.newest_sig) }
    }
  }

  private toSettlement (r: SettlementRow, key: ChannelKey): SettlementAttempt {
    return {
      id: r.id, key, bytes: BigInt(r.bytes), amount: BigInt(r.amount), txId: r.tx_id, status: r.status,
      paid: r.paid === null ? null : BigInt(r.paid), error: r.error,
      gasUsed: r.gas_used === null ? null : BigInt(r.gas_used), fee: r.fee === null ? null : BigInt(r.fee),
      createdAt: r.created_at, updatedAt: r.updated_at
    }
  }
}

function readOwner (db: Database.Database): Address | null {
  const row = db.prepare<[], { account: string }>('SELECT account FROM owner WHERE id = 1').get()
  return row === undefined ? null : row.account as Address
}

/** Records `owner` as the ledger's account, or throws if the ledger is another account's. */
function claimOwner (db: Database.Database, path: string, owner: Address, now: number): void {
  db.transaction(() => {
    const stored = readOwner(db)
    if (stored !== null) {
      if (stored !== owner) throw new LedgerOwnerMismatchError(path, stored, owner)
      return
    }
    // A ledger from before ownership: ours only if each channel has us on its own side.
    const other = db.prepare<[string], { account: string }>(
      "SELECT CASE role WHEN 'payer' THEN payer ELSE payee END AS account FROM channels WHERE account <> ? LIMIT 1").get(owner)
    if (other !== undefined) throw new LedgerOwnerMismatchError(path, other.account, owner)
    db.prepare<[string, number]>('INSERT INTO owner (id, account, claimed_at) VALUES (1, ?, ?)').run(owner, now)
  }).immediate()
}
