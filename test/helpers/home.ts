/**
 * Mocha root hooks (.mocharc `require`): the whole run gets a SEEDPAY_HOME of its own, so no test — nor any
 * `seedpay` process a test starts, which inherits the environment — reads or writes the developer's ~/.seedpay
 * (keys, ledgers, logs, resume data). Tests that need their own home still set it themselves.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

let made: string | undefined

export const mochaHooks = {
  beforeAll (): void {
    made = mkdtempSync(join(tmpdir(), 'seedpay-test-home-'))
    process.env['SEEDPAY_HOME'] = made
  },
  afterAll (): void {
    if (made !== undefined) rmSync(made, { recursive: true, force: true })
  }
}
