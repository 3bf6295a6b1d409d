/**
 * PayerFunds on a real escrow, anvil with automine off so a `reserve` waits in the mempool until the test mines it:
 * which lane requests share a transaction, and that no payee is released to be paid from its lane before the
 * transaction carrying that lane is mined.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect } from 'chai'
import { pino } from 'pino'
import { useChainFixture, fund, E18 } from '../chain/fixture.ts'
import { Ledger } from '../../../agent/ledger/index.ts'
import { PayerFunds } from '../../../agent/payment/payer-funds.ts'
import { toAddress, type Address } from '../../../agent/pay/index.ts'

const PAYER = 1
const WANT = E18
/** Longer than the 250 ms batch window this replaced: a request that waited that long still shares the next reserve. */
const LATER_MS = 300

describe('PayerFunds: lane reserves', function () {
  const fx = useChainFixture()
  let ledger: Ledger
  let funds: PayerFunds
  let payees: Address[]

  beforeEach(async () => {
    await fund(fx.clients[PAYER]!, 100n * E18)
    payees = [5, 6, 7].map(i => toAddress(fx.wallets[i]!.address))
    ledger = new Ledger({}, { path: join(mkdtempSync(join(tmpdir(), 'seedpay-funds-')), 'ledger.db') })
    funds = new PayerFunds({ logger: pino({ level: 'silent' }), chain: fx.clients[PAYER]!, ledger }, {
      payer: toAddress(fx.wallets[PAYER]!.address),
      domain: { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex }
    })
    await funds.start()
    await fx.provider.send('evm_setAutomine', [false])
  })

  afterEach(async () => {
    await fx.provider.send('evm_setAutomine', [true])
    await funds.stop()
    ledger.close()
  })

  /** Waits until the mempool holds `n` transactions (a reserve sent, not mined). */
  async function pending (n: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const status = await fx.provider.send('txpool_status', []) as { pending: string }
      if (Number(status.pending) === n) return
      await sleep(10)
    }
    throw new Error(`the mempool never held ${n} transaction(s)`)
  }

  async function mine (): Promise<void> {
    await fx.provider.send('evm_mine', [])
  }

  function watch (p: Promise<void>): { done: boolean, p: Promise<void> } {
    const w = { done: false, p }
    void p.then(() => { w.done = true })
    return w
  }

  /** The lanes each reserve transaction carried, in chain order. */
  async function reserves (): Promise<Address[][]> {
    const byTx = new Map<string, Address[]>()
    for (const e of (await fx.readOnly.eventsSince(0)).events) {
      if (e.name !== 'LaneReserved') continue
      byTx.set(e.txId, [...(byTx.get(e.txId) ?? []), toAddress(e.payee)])
    }
    return [...byTx.values()]
  }

  it('sends the first request without waiting for others, and holds its payee until that reserve is mined', async () => {
    const [a] = payees as [Address]
    const first = watch(funds.prepare(a, WANT))
    await pending(1)
    await sleep(LATER_MS)
    expect(first.done, 'released before its lane was mined').to.equal(false)
    expect(funds.share(a, 1)).to.equal(0n)
    await mine()
    await first.p
    expect((await fx.readOnly.laneOf(fx.wallets[PAYER]!.address, a)).lane).to.equal(WANT)
    expect(funds.share(a, 1) >= WANT).to.equal(true)
    expect(await reserves()).to.deep.equal([[a]])
  })

  it('requests arriving while a reserve is mined go together in the next one, none released before it is mined', async () => {
    const [a, b, c] = payees as [Address, Address, Address]
    const first = watch(funds.prepare(a, WANT))
    await pending(1)
    const second = watch(funds.prepare(b, WANT))
    await sleep(LATER_MS)
    const third = watch(funds.prepare(c, WANT))
    await sleep(LATER_MS)
    await mine()
    await first.p
    // the next reserve carries both, and neither payee is released while it waits in the mempool
    await pending(1)
    await sleep(LATER_MS)
    expect([second.done, third.done]).to.deep.equal([false, false])
    expect([funds.share(b, 1), funds.share(c, 1)]).to.deep.equal([0n, 0n])
    await mine()
    await Promise.all([second.p, third.p])
    expect(await reserves()).to.deep.equal([[a], [b, c]])
    for (const p of [b, c]) expect(funds.share(p, 1) >= WANT).to.equal(true)
  })

  it('stop releases a payee still waiting for its reserve and sends nothing more', async () => {
    const [a, b] = payees as [Address, Address]
    const first = watch(funds.prepare(a, WANT))
    await pending(1)
    const second = watch(funds.prepare(b, WANT))
    await sleep(LATER_MS)
    const stopped = funds.stop()
    await mine()
    await stopped
    await Promise.all([first.p, second.p])
    await sleep(LATER_MS)
    await pending(0)
    expect(await reserves()).to.deep.equal([[a]])
  })
})
