/**
 * Mocha root hooks (.mocharc `require`, and `--require test/helpers/home.ts` when one file is run):
 * - the whole run gets a SEEDPAY_HOME of its own, so no test — nor any `seedpay` process a test starts, which
 *   inherits the environment — reads or writes the developer's ~/.seedpay (keys, ledgers, logs, resume data).
 *   Tests that need their own home still set it themselves.
 * - the DHT and Local Service Discovery are off by default (SEEDPAY_DHT=off, SEEDPAY_LSD=off, inherited by every
 *   `seedpay` a test starts), so no test queries the public DHT routers or multicasts on the LAN; a test that wants
 *   them passes --dht-bootstrap (its own local nodes) or --lsd.
 * - dist/ is built from the current source first (scripts/build.ts, well under a second when nothing changed), so
 *   every test that runs bin/seedpay.js runs today's code, never a stale build.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildCli } from '../../scripts/build.ts'

let made: string | undefined

export const mochaHooks = {
  async beforeAll (this: Mocha.Context): Promise<void> {
    this.timeout(60_000) // a build on a busy machine may take seconds; mocha's default is 2
    made = mkdtempSync(join(tmpdir(), 'seedpay-test-home-'))
    process.env['SEEDPAY_HOME'] = made
    process.env['SEEDPAY_DHT'] = 'off'
    process.env['SEEDPAY_LSD'] = 'off'
    await buildCli()
  },
  afterAll (): void {
    if (made !== undefined) rmSync(made, { recursive: true, force: true })
  }
}
