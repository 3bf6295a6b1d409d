/** The key store's directory: `keys` under seedpay's home (agent/util/home.ts, shared with the ledgers and logs). */
import { join } from 'node:path'
import { seedpayHome } from '../util/home.ts'

/** The key store: one keystore JSON file per key, `<name>.json`. */
export function keyStoreDir (): string {
  return join(seedpayHome(), 'keys')
}
