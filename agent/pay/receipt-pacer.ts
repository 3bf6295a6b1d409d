/**
 * When a payer signs its next receipt. One receipt per verified piece costs a signature and two fsyncs (ours
 * before sending, the payee's before serving more) per piece: at 250 MB/s and 256 KiB pieces that is ~1,000
 * of each per second, most of both event loops. So receipts are coalesced: one covers every byte verified
 * since the last, signed at once when enough is owed to matter to the payee's credit, else at most one per
 * interval. Pure: the caller supplies the clock and runs the timer.
 */

/** At most one receipt per channel per this many ms while less than a step is owed. */
export const RECEIPT_INTERVAL_MS = 20

/**
 * Owed bytes worth a receipt at once: a quarter of the credit granted. The payer keeps its requests within half
 * the credit minus what it owes (the other half covers receipts on their way), so a smaller step would leave a
 * wider pipe, but an eighth measured slower (bench:paid 128 MiB with a lane, 6 runs each: paid ÷ free 0.66
 * against 0.78): each receipt costs both event loops a signature check and a synchronous fsync, which under a
 * 300 MB/s disk write takes milliseconds, not the 0.3 ms it takes on a quiet disk.
 */
export function receiptStep (credit: bigint): bigint {
  return credit / 4n
}

export interface PaceInput {
  /** Verified bytes not yet covered by a receipt. */
  owed: bigint
  /** Owed bytes worth a receipt at once (receiptStep of the credit the payee grants us). */
  step: bigint
  /** When the last receipt was signed (ms, same clock as `now`); -Infinity if never. */
  lastAt: number
  now: number
  /** @default RECEIPT_INTERVAL_MS */
  intervalMs?: number
}

/**
 * @returns 'now' to sign at once, 'idle' when nothing is owed, or the time (same clock) to sign at
 */
export function paceReceipt (p: PaceInput): 'now' | 'idle' | number {
  if (p.owed <= 0n) return 'idle'
  if (p.owed >= p.step) return 'now'
  const due = p.lastAt + (p.intervalMs ?? RECEIPT_INTERVAL_MS)
  return p.now >= due ? 'now' : due
}
