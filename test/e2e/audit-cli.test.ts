/** `seedpay audit` as a separate process against anvil and a real ledger file: table, JSON, mismatch, bad input. */
import { expect } from 'chai'
import { runSeedpay, type CliRun } from '../helpers/cli.ts'
import { useChainFixture, fund, E18 } from '../agent/chain/fixture.ts'
import { ANVIL_KEYS } from '../../agent/chain/anvil.ts'
import { settleChannels } from '../../agent/settle/index.ts'
import { payeeBooks, type PayeeBooks } from '../agent/settle/helpers.ts'


async function audit (args: string[]): Promise<CliRun> {
  return await runSeedpay(['audit', ...args])
}

describe('seedpay audit (CLI)', function () {
  this.timeout(60_000)
  const fx = useChainFixture()
  let books: PayeeBooks
  let args: string[]
  beforeEach(async () => {
    books = payeeBooks({ chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex }, ANVIL_KEYS[1])
    await fund(fx.clients[2]!, 10n * E18)
    await fund(fx.clients[3]!, 10n * E18)
    const keys = [books.receive(ANVIL_KEYS[2], 64n), books.receive(ANVIL_KEYS[3], 32n)]
    await settleChannels({ ledger: books.ledger, chain: fx.clients[1]! }, books.payee, keys)
    books.receive(ANVIL_KEYS[2], 96n)
    args = ['--rpc', fx.anvil.url, '--escrow', fx.deployment.escrow.hex, '--ledger', `${books.dir}/ledger.db`]
  })
  afterEach(() => { books.close() })

  it('prints a table and exits 0 when the ledger matches the chain (payee taken from the ledger)', async () => {
    const r = await audit(args)
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain(`payee ${books.payee}`)
    expect(r.stdout).to.contain('BTT/GiB')
    expect(r.stdout).to.contain('✓ the ledger matches the chain')
  })

  it('prints JSON with --json', async () => {
    const r = await audit([...args, '--payee', books.payee, '--json'])
    expect(r.code, r.stderr).to.equal(0)
    const report = JSON.parse(r.stdout) as { ok: boolean, pairs: Array<{ chain: { paid: string } }>, totals: { unsettled: string } }
    expect(report.ok).to.equal(true)
    expect(report.pairs).to.have.length(2)
    expect(report.totals.unsettled).to.equal((32n * 10n ** 16n).toString())
  })

  it('exits 1 and names the mismatch when a ledger row was tampered with', async () => {
    books.ledger.db.prepare("UPDATE settlements SET paid = '7'").run()
    const r = await audit(args)
    expect(r.code).to.equal(1)
    expect(r.stdout).to.contain('✗ paid')
    expect(r.stdout).to.contain('mismatch')
  })

  it('refuses bad input with a clear one-line error and exit 2, without a stack trace', async () => {
    for (const [bad, msg] of [
      [['--rpc', fx.anvil.url, '--escrow', '0x1234', '--ledger', `${books.dir}/ledger.db`], '--escrow "0x1234" is not a 0x address'],
      [['--rpc', fx.anvil.url, '--escrow', fx.deployment.escrow.hex, '--ledger', `${books.dir}/missing.db`], 'no ledger file at'],
      [['--rpc', fx.anvil.url, '--escrow', '0x' + '00'.repeat(19) + '42', '--ledger', `${books.dir}/ledger.db`], 'no contract at'],
      [[...args, '--from-block', '-3'], '--from-block must be'],
      [['--rpc', fx.anvil.url, '--escrow', '0x' + fx.deployment.escrow.hex.slice(2).replace(/[a-fA-F]/g, c => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())), '--ledger', `${books.dir}/ledger.db`], 'checksum']
    ] as const) {
      const r = await audit([...bad])
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.contain(msg)
      expect(r.stderr).to.not.contain('    at ')
    }
  })
})
