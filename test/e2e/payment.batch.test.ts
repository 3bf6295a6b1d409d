/**
 * Batch settlement of receipts exchanged over TCP: two payers pay one payee, which cashes both newest
 * receipts in one settleBatch (packed entries, 64-byte signatures straight from its ledger).
 * Its own anvil: ethers waits for blocks above the highest it saw, which an evm_revert between tests undoes.
 */
import { expect } from 'chai'
import { useChainFixture, fund, E18 } from '../agent/chain/fixture.ts'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { settleChannels } from '../../agent/settle/index.ts'
import { amountFor, toAddress, type EscrowDomain } from '../../agent/pay/index.ts'
import { makeAgent } from './payment-agents.ts'
import { makeContent, startSeeder, leech, until } from './payment-peers.ts'

const PAYEE_KEY = ANVIL_KEYS[1]
const PAYER_KEY = ANVIL_KEYS[2]
const PRICE = 1_000_000_000_000_000n

describe('batch settlement of receipts exchanged over TCP', function () {
  this.timeout(60_000)
  const fx = useChainFixture()
  let domain: EscrowDomain
  before(() => { domain = { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex } })

  it('settles two payers\' receipts in one settleBatch with the 64-byte signatures from the ledger', async () => {
    const payeeClient = fx.clients[1]!
    await fund(fx.clients[2]!, 10n * E18)
    await fund(fx.clients[3]!, 10n * E18)
    const payee = makeAgent(domain, PAYEE_KEY, { pricePerMiB: PRICE })
    const payers = [makeAgent(domain, PAYER_KEY), makeAgent(domain, ANVIL_KEYS[3])]
    const content = makeContent(2 << 20, 256 << 10, 5)
    const seeder = await startSeeder(payee.agent, content)
    try {
      await Promise.all(payers.map(async p => await leech(p.agent, seeder.port, content).done))
      const keys = payers.map(p => ({ chainId: domain.chainId, escrow: toAddress(domain.escrow), payer: p.account, payee: payee.account }))
      await until(() => keys.every(k => payee.ledger.newest(k)?.bytes === 2n << 20n))
      const before = await payeeClient.tokenBalanceOf(payee.account)
      const outcome = await settleChannels({ ledger: payee.ledger, chain: payeeClient }, payee.account, keys)
      const owed = amountFor(2n << 20n, PRICE)
      expect([...outcome!.paid.values()]).to.deep.equal([owed, owed])
      expect(await payeeClient.tokenBalanceOf(payee.account) - before).to.equal(2n * owed)
      for (const k of keys) {
        expect(await payeeClient.paidOut(k.payer, k.payee)).to.equal(payee.ledger.newest(k)!.amount)
        expect(payee.ledger.settlements(k).map(s => [s.status, s.txId, s.paid])).to.deep.equal([['confirmed', outcome!.txId, owed]])
      }
    } finally {
      await seeder.close()
      payee.ledger.close(); for (const p of payers) p.ledger.close()
    }
  })
})
