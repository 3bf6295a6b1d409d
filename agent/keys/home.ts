/**
 * The key store's directory: `keys` under seedpay's home (`SEEDPAY_HOME`, else `~/.seedpay`; the one rule for
 * it is agent/cli/home.ts, shared with the ledgers and logs).
 */
import { join } from 'node:path'
import { seedpayHome } from '../cli/home.ts'

export { seedpayHome }

/** The key store: one keystore JSON file per key, `<name>.json`. */
export function keyStoreDir (): string {
  return join(seedpayHome(), 'keys')
}
