/**
 * Payee side: a payer that reached its credit while no receipt of its was being stored waits, up to
 * RECEIPT_WAIT_MS, for the receipt on its way before it is choked (PayeeChannel's 'waiting'). Its requests are
 * held meanwhile (UploadPolicy.settling), so nothing more is served on its credit: the loss bound is unchanged,
 * and an honest payer whose receipt is a few milliseconds behind keeps its request queue, which a choke discards.
 * A payer that never pays is choked when the wait ends.
 */
import type { PayeeChannel } from '../pay/index.ts'

/** How long a payer at its credit may keep its requests waiting for a receipt (the receipt round trip is ms). */
export const RECEIPT_WAIT_MS = 1_000

interface Wait { promise: Promise<void>, release: () => void, timer: NodeJS.Timeout }

/** Per channel: the credit is the payer's, shared by its connections, and so is the wait. */
const waits = new WeakMap<PayeeChannel, Wait>()

/** Starts the channel's wait (once); `expired` runs when it ends without a receipt, before the held requests retry. */
export function waitForReceipt (ch: PayeeChannel, expired: () => void, ms = RECEIPT_WAIT_MS): void {
  if (waits.has(ch)) return
  let release = (): void => {}
  const promise = new Promise<void>(resolve => { release = resolve })
  const timer = setTimeout(() => {
    if (waits.get(ch)?.timer !== timer) return
    waits.delete(ch)
    expired()
    release()
  }, ms)
  timer.unref()
  waits.set(ch, { promise, release, timer })
}

/** The channel's wait, if one is on: its held requests retry when it ends. */
export function receiptWait (ch: PayeeChannel): Promise<void> | undefined {
  return waits.get(ch)?.promise
}

/** A receipt arrived (or the wait is moot): the held requests retry now, and find the receipt being stored. */
export function endReceiptWait (ch: PayeeChannel): void {
  const w = waits.get(ch)
  if (w === undefined) return
  clearTimeout(w.timer)
  waits.delete(ch)
  w.release()
}
