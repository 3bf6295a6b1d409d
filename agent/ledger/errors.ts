/** Errors of the SQLite ledger. */

/** A write would move a channel's cumulative bytes or amount backwards (or not forward). */
export class NonMonotonicReceiptError extends Error {
  constructor (
    readonly channel: string,
    readonly held: { bytes: bigint, amount: bigint },
    readonly got: { bytes: bigint, amount: bigint }
  ) {
    super(`ledger refuses receipt (${got.bytes} B, ${got.amount}) on ${channel}: it holds (${held.bytes} B, ${held.amount})`)
    this.name = 'NonMonotonicReceiptError'
  }
}

/** The database's schema is newer than this code knows. */
export class LedgerSchemaTooNewError extends Error {
  constructor (readonly found: number, readonly known: number) {
    super(`ledger schema version ${found} is newer than this agent's ${known}; upgrade the agent`)
    this.name = 'LedgerSchemaTooNewError'
  }
}

/** A channel was opened with another role than it was created with (we cannot be both sides of one pair). */
export class ChannelRoleMismatchError extends Error {
  constructor (readonly channel: string, readonly stored: string, readonly requested: string) {
    super(`channel ${channel} is ours as ${stored}, not ${requested}`)
    this.name = 'ChannelRoleMismatchError'
  }
}

/** A settlement id that does not exist. */
export class UnknownSettlementError extends Error {
  constructor (readonly id: number) {
    super(`no settlement attempt ${id}`)
    this.name = 'UnknownSettlementError'
  }
}

/**
 * The ledger belongs to another local account than the one opening it (or holds channels of another). One
 * ledger serves one account: its channels are that account's, as payer or as payee.
 */
export class LedgerOwnerMismatchError extends Error {
  constructor (readonly path: string, readonly owner: string, readonly requested: string) {
    super(`the ledger ${path} belongs to account ${owner}, not ${requested}`)
    this.name = 'LedgerOwnerMismatchError'
  }
}

/**
 * An error as it crosses a thread (the ledger's writer thread, writer-thread.ts): structured clone keeps an
 * Error's message but not its class, and the sessions tell a stale receipt from a broken disk by class.
 */
export type WireError =
  | { name: 'NonMonotonicReceiptError', channel: string, held: { bytes: bigint, amount: bigint }, got: { bytes: bigint, amount: bigint } }
  | { name: 'LedgerOwnerMismatchError', path: string, owner: string, requested: string }
  | { name: 'ChannelRoleMismatchError', channel: string, stored: string, requested: string }
  | { name: 'Error', message: string }

export function errorToWire (err: unknown): WireError {
  if (err instanceof NonMonotonicReceiptError) return { name: 'NonMonotonicReceiptError', channel: err.channel, held: err.held, got: err.got }
  if (err instanceof LedgerOwnerMismatchError) return { name: 'LedgerOwnerMismatchError', path: err.path, owner: err.owner, requested: err.requested }
  if (err instanceof ChannelRoleMismatchError) return { name: 'ChannelRoleMismatchError', channel: err.channel, stored: err.stored, requested: err.requested }
  return { name: 'Error', message: err instanceof Error ? err.message : String(err) }
}

export function errorFromWire (w: WireError): Error {
  switch (w.name) {
    case 'NonMonotonicReceiptError': return new NonMonotonicReceiptError(w.channel, w.held, w.got)
    case 'LedgerOwnerMismatchError': return new LedgerOwnerMismatchError(w.path, w.owner, w.requested)
    case 'ChannelRoleMismatchError': return new ChannelRoleMismatchError(w.channel, w.stored, w.requested)
    default: return new Error(w.message)
  }
}
