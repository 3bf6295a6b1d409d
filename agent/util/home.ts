/**
 * Where seedpay keeps its files for this user: ledgers, keys, logs, resume data. `SEEDPAY_HOME` moves it (tests,
 * a second identity on one machine); the default is `~/.seedpay`.
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export function seedpayHome (): string {
  const env = process.env['SEEDPAY_HOME']
  return env !== undefined && env.trim() !== '' ? resolve(env) : join(homedir(), '.seedpay')
}
