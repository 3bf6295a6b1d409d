/**
 * `withPayments` runs a `seed`, `get` or `stream` with payments when its flags ask for them (`--price` /
 * `--max-price`), else as plain BitTorrent. The payment side (payment-options.ts, and with it ethers, the chain
 * clients, the ledger and the settlement) is imported only then: a free command starts without parsing it, 1.6 MB
 * of JavaScript (test/e2e/cli-build.test.ts checks what a free command loads).
 */
import type { CliPayments } from './payment-options.ts'
import type { PaymentFlags, PaymentRole } from './payment-flags.ts'

/** Runs `fn` with the payment side (null when none is asked for), then stops it: a payee settles on the way out. */
export async function withPayments (o: PaymentFlags, role: PaymentRole, fn: (payments: CliPayments | null) => Promise<void>): Promise<void> {
  const wanted = role === 'payee' ? o.price !== undefined : o.maxPrice !== undefined
  if (!wanted) { await fn(null); return }
  const { openPayments } = await import('./payment-options.ts')
  const { side, reporter } = await openPayments(o, role)
  try {
    await fn(side.payments)
  } finally {
    await side.stop()
    reporter.close()
  }
}
