/**
 * Lanes and free balances rebuilt from the escrow's events alone. The contract keeps, per (payer, payee), a lane
 * only that payee's receipts can take, and per payer a free balance that backs receipts to everyone. Replaying
 * every event in chain order rebuilds both:
 *
 * - `Deposited` +amount, `Withdrawn` −amount on the payer's free balance;
 * - `LaneReserved` moves `amount` from free into the lane and sets the lane to its `lane` (the new total);
 * - `Settled` takes min(paid, lane) from the lane (the contract takes the lane first) and the rest from free;
 * - `LaneReleased` moves `amount` from the lane back to free;
 * - `LaneReleaseRequested` / `LaneReleaseCancelled` / `LaneReleased` set and clear the pending release.
 *
 * Replaying needs the whole history (from the escrow's deployment block): a missed deposit or reserve leaves the
 * rebuilt figures off, which is exactly what the audit's comparison with `laneOf` / `balanceOf` reports.
 */
import type { EscrowEvent, Withdrawal } from '../chain/index.ts'
import { toAddress, type Address } from '../pay/index.ts'
import { pairId } from './totals.ts'

export interface LanePair {
  payer: Address
  payee: Address
  /** The lane after the last event. */
  lane: bigint
  /** Σ `amount` over LaneReserved / LaneReleased. */
  reserved: bigint
  released: bigint
  /** What the pair's settlements took from the lane, and from the payer's free balance. */
  paidFromLane: bigint
  paidFromFree: bigint
  /** The release requested and neither cancelled nor executed since (null when none). */
  pendingRelease: Withdrawal | null
}

export interface PayerFunds {
  payer: Address
  /** The free balance after the last event. */
  free: bigint
  deposited: bigint
  withdrawn: bigint
  /** Σ moved into lanes (LaneReserved) and back out (LaneReleased), over all of the payer's payees. */
  reserved: bigint
  released: bigint
  /** Σ the free-balance part of the payer's settlements, to every payee. */
  paidFromFree: bigint
}

export interface LaneReplay {
  /** Keyed by `pairId`; only pairs with a lane event or a settlement. */
  pairs: Map<string, LanePair>
  /** Keyed by the payer's lowercase address. */
  payers: Map<string, PayerFunds>
}

/**
 * Where a pending withdrawal or release stands at `now` (unix seconds): executable from `unlockAt` until
 * `unlockAt + window` (exclusive, as the contract's `withdraw`/`release` check), after which it can only be
 * replaced or cancelled.
 */
export type PendingState = 'none' | 'locked' | 'open' | 'expired'

export function pendingState (w: Withdrawal, window: bigint, now: bigint): PendingState {
  if (w.unlockAt === 0n) return 'none'
  if (now < w.unlockAt) return 'locked'
  return now - w.unlockAt >= window ? 'expired' : 'open'
}

/**
 * The events in chain order: by block; within a block, transactions in the order given (a TRON node numbers logs
 * per transaction, so logIndex cannot order two transactions there); within a transaction by logIndex, then
 * batchIndex (a BatchSettled summary, which has none, before its records).
 */
export function chainOrder (events: readonly EscrowEvent[]): EscrowEvent[] {
  const blocks = new Map<number, Map<string, EscrowEvent[]>>()
  for (const e of events) {
    let txs = blocks.get(e.blockNumber)
    if (txs === undefined) { txs = new Map(); blocks.set(e.blockNumber, txs) }
    let list = txs.get(e.txId)
    if (list === undefined) { list = []; txs.set(e.txId, list) }
    list.push(e)
  }
  const batchIndex = (e: EscrowEvent): number => (e.name === 'Settled' ? e.batchIndex ?? -1 : -1)
  const out: EscrowEvent[] = []
  for (const block of [...blocks.keys()].sort((a, b) => a - b)) {
    for (const list of blocks.get(block)!.values()) {
      out.push(...list.sort((a, b) => a.logIndex - b.logIndex || batchIndex(a) - batchIndex(b)))
    }
  }
  return out
}

/** Replays every event (all payers and payees: a payer's free balance is shared by all its payees). */
export function replayLanes (events: readonly EscrowEvent[]): LaneReplay {
  const pairs = new Map<string, LanePair>()
  const payers = new Map<string, PayerFunds>()
  const fundsOf = (raw: string): PayerFunds => {
    const payer = toAddress(raw)
    let f = payers.get(payer)
    if (f === undefined) {
      f = { payer, free: 0n, deposited: 0n, withdrawn: 0n, reserved: 0n, released: 0n, paidFromFree: 0n }
      payers.set(payer, f)
    }
    return f
  }
  const pairOf = (payerRaw: string, payeeRaw: string): LanePair => {
    const payer = toAddress(payerRaw)
    const payee = toAddress(payeeRaw)
    const id = pairId(payer, payee)
    let p = pairs.get(id)
    if (p === undefined) {
      p = { payer, payee, lane: 0n, reserved: 0n, released: 0n, paidFromLane: 0n, paidFromFree: 0n, pendingRelease: null }
      pairs.set(id, p)
    }
    return p
  }
  for (const e of chainOrder(events)) {
    switch (e.name) {
      case 'Deposited': {
        const f = fundsOf(e.payer)
        f.free += e.amount
        f.deposited += e.amount
        break
      }
      case 'Withdrawn': {
        const f = fundsOf(e.payer)
        f.free -= e.amount
        f.withdrawn += e.amount
        break
      }
      case 'LaneReserved': {
        const f = fundsOf(e.payer)
        const p = pairOf(e.payer, e.payee)
        f.free -= e.amount
        f.reserved += e.amount
        p.reserved += e.amount
        // the event carries the new total: taken as is, so one missed event does not skew every later figure
        p.lane = e.lane
        break
      }
      case 'Settled': {
        const f = fundsOf(e.payer)
        const p = pairOf(e.payer, e.payee)
        const fromLane = e.paid < p.lane ? e.paid : p.lane
        const fromFree = e.paid - fromLane
        p.lane -= fromLane
        p.paidFromLane += fromLane
        p.paidFromFree += fromFree
        f.free -= fromFree
        f.paidFromFree += fromFree
        break
      }
      case 'LaneReleaseRequested':
        pairOf(e.payer, e.payee).pendingRelease = { amount: e.amount, unlockAt: e.unlockAt }
        break
      case 'LaneReleaseCancelled':
        pairOf(e.payer, e.payee).pendingRelease = null
        break
      case 'LaneReleased': {
        const f = fundsOf(e.payer)
        const p = pairOf(e.payer, e.payee)
        p.lane -= e.amount
        p.released += e.amount
        p.pendingRelease = null
        f.free += e.amount
        f.released += e.amount
        break
      }
      default:
        break
    }
  }
  return { pairs, payers }
}
