/**
 * `seedpay audit` as a separate process against anvil and a real ledger file: table, JSON, lanes, mismatch, bad
 * input; and `seedpay account` showing the lanes of the payees in a payer's ledger, expired requests marked.
 */
import { existsSync } from 'node:fs'
import { expect } from 'chai'
import { getBytes, Wallet } from 'ethers'
import { runSeedpay, type CliRun } from '../helpers/cli.ts'
import { useChainFixture, fund, increaseTime, DELAY, E18 } from '../agent/chain/fixture.ts'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { amountFor, HotKeySigner, MIB, receiptDigest, toAddress } from '../../agent/pay/index.ts'
import { settleChannel, settleChannels } from '../../agent/settle/index.ts'
import { payeeBooks, PRICE, type PayeeBooks } from '../agent/settle/helpers.ts'

const tenths = (n: bigint): bigint => n * E18 / 10n

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

  it('shows lanes and free balances (table and --json), and exits 1 when events miss the reservation', async () => {
    const payer = books.keyOf(ANVIL_KEYS[2]).payer
    await fx.clients[2]!.reserve([{ payee: books.payee, amount: tenths(5n) }])
    const afterReserve = await fx.provider.getBlockNumber() + 1
    // the newest receipt (96 MiB) is 0.32 beyond the 0.64 settled from the free balance: the 0.5 lane pays it
    await settleChannel({ ledger: books.ledger, chain: fx.clients[1]! }, books.keyOf(ANVIL_KEYS[2]))
    const j = await audit([...args, '--json'])
    expect(j.code, j.stderr).to.equal(0)
    const report = JSON.parse(j.stdout) as { pairs: Array<{ payer: string, lane: Record<string, unknown> }>, payers: Array<Record<string, unknown>> }
    expect(report.pairs.find(p => p.payer === payer)?.lane).to.include({ lane: '180000000000000000', onChain: '180000000000000000', paidFromLane: '320000000000000000', paidFromFree: '640000000000000000', pendingRelease: null })
    expect(report.payers.find(p => p['payer'] === payer)).to.include({ free: (10n * E18 - tenths(5n) - 64n * 10n ** 16n).toString(), onChain: '8860000000000000000' })

    const t = await audit([...args, '--full-addresses'])
    expect(t.code, t.stderr).to.equal(0)
    expect(t.stdout).to.match(new RegExp(`lanes\\n.*paid from lane[^\\n]*\\n[^\\n]*\\n${payer}\\s+0\\.18 BTT\\s+0\\.32 BTT\\s+0\\.64 BTT\\s+–\\s+✓`))
    expect(t.stdout).to.match(new RegExp(`free balances\\n[^\\n]*\\n[^\\n]*\\n(.*\\n)?${payer}\\s+8\\.86 BTT`))

    const late = await audit([...args, '--from-block', String(afterReserve)])
    expect(late.code).to.equal(1)
    expect(late.stdout).to.contain("events rebuild a lane of 0 but the escrow's laneOf is 180000000000000000")
    expect(late.stdout).to.contain('✗ balance')
  })

  it('refuses bad input with a clear one-line error and exit 2, without a stack trace', async () => {
    for (const [bad, msg] of [
      [['--rpc', fx.anvil.url, '--escrow', '0x1234', '--ledger', `${books.dir}/ledger.db`], '--escrow "0x1234" is not an address'],
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

  describe('seedpay account', () => {
    it('shows the lanes of the payees in the payer\'s ledger, the window, and expired requests as expired', async () => {
      const payerKey = ANVIL_KEYS[2]
      const payer = books.keyOf(payerKey).payer
      const other = toAddress(new Wallet(ANVIL_KEYS[5]).address)
      // the payer's own ledger: its receipts to our payee (as the payee holds them) and one to another payee
      const path = `${books.dir}/payer.db`
      const payerBooks = new Ledger({}, { path, synchronous: 'NORMAL' })
      for (const h of books.ledger.history(books.keyOf(payerKey))) payerBooks.record(books.keyOf(payerKey), 'payer', h)
      const toOther = { payer, payee: other, cumulativeBytes: MIB, cumulativeAmount: amountFor(MIB, PRICE) }
      const sig = new HotKeySigner(payerKey).signDigest(getBytes(receiptDigest({ chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex }, toOther)))
      payerBooks.record({ ...books.keyOf(payerKey), payee: other }, 'payer', { bytes: MIB, amount: toOther.cumulativeAmount, sig })
      payerBooks.close()

      const c = fx.clients[2]!
      await c.reserve([{ payee: books.payee, amount: E18 }, { payee: other, amount: tenths(5n) }])
      await c.requestWithdrawal(2n * E18)
      await c.requestRelease(other, tenths(5n))
      await increaseTime(fx, 2n * DELAY) // both requests unlocked and then expired
      await c.requestRelease(books.payee, tenths(3n))

      const account = ['account', '--rpc', fx.anvil.url, '--escrow', fx.deployment.escrow.hex, '--ledger', path, '--address', payer]
      const j = await runSeedpay([...account, '--json'])
      expect(j.code, j.stderr).to.equal(0)
      const shown = JSON.parse(j.stdout) as Record<string, unknown> & { lanes: Array<Record<string, unknown>>, pendingWithdrawal: Record<string, unknown> }
      expect(shown).to.include({ escrowBalance: '7.86', withdrawalDelaySeconds: 3600, withdrawalWindowSeconds: 3600 })
      expect(shown.pendingWithdrawal).to.include({ amount: '2', state: 'expired' })
      const lanes = new Map(shown.lanes.map(l => [l['payee'], l]))
      expect(lanes.size).to.equal(2)
      expect(lanes.get(books.payee)).to.deep.include({ lane: '1', paidOut: '0.64' })
      expect(lanes.get(books.payee)?.['release']).to.include({ amount: '0.3', state: 'locked' })
      expect(lanes.get(other)).to.deep.include({ lane: '0.5', paidOut: '0' })
      expect(lanes.get(other)?.['release']).to.include({ amount: '0.5', state: 'expired' })

      const t = await runSeedpay(account)
      expect(t.code, t.stderr).to.equal(0)
      expect(t.stdout).to.match(/withdrawing {2}2 BTT, EXPIRED at /)
      expect(t.stdout).to.contain('stay executable 3600 s')
      expect(t.stdout).to.match(new RegExp(`${other} {2}lane 0\\.5 BTT {2}paid 0 BTT {2}releasing 0\\.5 BTT, EXPIRED at `))
      expect(t.stdout).to.match(new RegExp(`${books.payee} {2}lane 1 BTT {2}paid 0\\.64 BTT {2}releasing 0\\.3 BTT, unlocks at `))
    })

    it('shows no lanes for an account without a ledger, and does not create one', async () => {
      const missing = `${books.dir}/none.db`
      const r = await runSeedpay(['account', '--rpc', fx.anvil.url, '--escrow', fx.deployment.escrow.hex, '--ledger', missing, '--address', books.payee, '--json'])
      expect(r.code, r.stderr).to.equal(0)
      expect(JSON.parse(r.stdout)).to.deep.include({ lanes: [], pendingWithdrawal: null })
      expect(existsSync(missing)).to.equal(false)
    })
  })
})
