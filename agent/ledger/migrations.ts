/**
 * Versioned schema: migration i takes the database from user_version i to i + 1, in one transaction.
 * Append new migrations; never edit a released one.
 *
 * Big integers (uint64 bytes, uint128 amounts, uint256 chain ids) are stored as decimal TEXT: SQLite's
 * INTEGER is int64, and every comparison that matters happens in TypeScript inside a write transaction.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE channels (
    id             INTEGER PRIMARY KEY,
    chain_id       TEXT    NOT NULL,
    escrow         TEXT    NOT NULL,
    payer          TEXT    NOT NULL,
    payee          TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('payer', 'payee')),
    newest_bytes   TEXT    NOT NULL DEFAULT '0',
    newest_amount  TEXT    NOT NULL DEFAULT '0',
    newest_sig     BLOB,
    newest_at      INTEGER,
    created_at     INTEGER NOT NULL,
    UNIQUE (chain_id, escrow, payer, payee)
  ) STRICT;

  CREATE TABLE receipts (
    id           INTEGER PRIMARY KEY,
    channel_id   INTEGER NOT NULL REFERENCES channels (id),
    bytes        TEXT    NOT NULL,
    amount       TEXT    NOT NULL,
    sig          BLOB    NOT NULL,
    price_per_mib TEXT,
    recorded_at  INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX receipts_by_channel ON receipts (channel_id, id);

  CREATE TABLE settlements (
    id           INTEGER PRIMARY KEY,
    channel_id   INTEGER NOT NULL REFERENCES channels (id),
    bytes        TEXT    NOT NULL,
    amount       TEXT    NOT NULL,
    tx_id        TEXT,
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'confirmed', 'failed')),
    paid         TEXT,
    error        TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX settlements_by_channel ON settlements (channel_id, id);
  `,
  // 2: the local account this ledger belongs to. One ledger per (network, account): two accounts in one file
  // would meet on one channel from both sides (ChannelRoleMismatchError) — refused at open instead.
  `
  CREATE TABLE owner (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    account     TEXT    NOT NULL,
    claimed_at  INTEGER NOT NULL
  ) STRICT;
  `,
  // 3: what each confirmed settlement cost: gas (TRON: energy) and the fee paid in the chain's coin's smallest unit
  // (sun on TRON, wei on an EVM chain). A batch's cost is shared among its entries (the first takes the remainder).
  `
  ALTER TABLE settlements ADD COLUMN gas_used TEXT;
  ALTER TABLE settlements ADD COLUMN fee TEXT;
  `
]
