/** createPayments on a real anvil: what it builds per role, and the configurations it refuses. */
import { expect } from 'chai'
import pino from 'pino'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPayments, PaymentsConfigError } from '../../../agent/compose/index.ts'
import { Ledger } from '../../../agent/ledger/index.ts'
import { HotKeySigner, MIB, amountFor, type EscrowDomain } from '../../../agent/pay/index.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { useChainFixture, fund, E18 } from '../chain/fixture.ts'

const logger = pino({ level: 'silent' })
const PRICE = E18 / 100n

describe('createPayments', function () {
  this.timeout(30_000)
  const fx = useChainFixture()
  let domain: EscrowDomain
  let ledger: Ledger
  before(() => { domain = { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex } })
  beforeEach(() => { ledger = new Ledger({}, { path: join(mkdtempSync(join(tmpdir(), 'seedpay-compose-')), 'l.db') }) })
  afterEach(() => { ledger.close() })

  it('builds a payee with coverage, feed and scheduler, trusting 64 MiB at its price by default', async () => {
    const p = await createPayments({ logger, ledger, chain: fx.clients[1]!, signer: new HotKeySigner(ANVIL_KEYS[1]) }, {
      domain, account: fx.clients[1]!.account!, payee: { pricePerMiB: PRICE, feed: { pollMs: 50 } }
    })
    try {
      expect(p.scheduler).to.not.equal(null)
      expect(p.feed).to.not.equal(null)
      expect(p.funds).to.equal(null)
      expect(p.coverage?.exposureLimit).to.equal(amountFor(64n * MIB, PRICE))
    } finally {
      await p.stop()
    }
  })

  it('builds a payer whose budget is its free balance', async () => {
    await fund(fx.clients[2]!, 3n * E18)
    const p = await createPayments({ logger, ledger, chain: fx.clients[2]!, signer: new HotKeySigner(ANVIL_KEYS[2]) }, {
      domain, account: fx.clients[2]!.account!, payer: { maxPricePerMiB: PRICE }
    })
    try {
      expect(p.scheduler).to.equal(null)
      expect(p.funds?.budget.free).to.equal(3n * E18)
    } finally {
      await p.stop()
    }
  })

  it('refuses to charge as an account that could never receive: the escrow, its token', async () => {
    for (const account of [fx.deployment.escrow.hex, fx.deployment.token.hex]) {
      let err: unknown
      try {
        await createPayments({ logger, ledger, chain: fx.clients[1]!, signer: new HotKeySigner(ANVIL_KEYS[1]) }, { domain, account, payee: { pricePerMiB: PRICE } })
      } catch (e) { err = e }
      expect(err).to.be.instanceOf(PaymentsConfigError)
      expect((err as Error).message).to.match(/can never receive payments/)
    }
  })

  it('refuses a payee price of 0 (serving for free needs no payee role)', async () => {
    let err: unknown
    try {
      await createPayments({ logger, ledger, chain: fx.clients[1]!, signer: new HotKeySigner(ANVIL_KEYS[1]) }, { domain, account: fx.clients[1]!.account!, payee: { pricePerMiB: 0n } })
    } catch (e) { err = e }
    expect(err).to.be.instanceOf(PaymentsConfigError)
  })
})
