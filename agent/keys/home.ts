/**
 * Where seedpay keeps its files: `SEEDPAY_HOME`, else `~/.seedpay`. Only the key store reads it so far
 * (the ledger's default path is still `~/.seedpay/ledger-<network>.sqlite` in agent/cli/chain-options.ts).
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export function seedpayHome (env: NodeJS.ProcessEnv = process.env): string {
  const home = env['SEEDPAY_HOME']
  return home !== undefined && home.trim() !== '' ? resolve(home) : join(homedir(), '.seedpay')
}

/** The key store: one keystore JSON file per key, `<name>.json`. */
export function keyStoreDir (env: NodeJS.ProcessEnv = process.env): string {
  return join(seedpayHome(env), 'keys')
}
