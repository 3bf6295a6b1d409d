/**
 * Two agents on 127.0.0.1, real bittorrent-protocol wires over real TCP: hello, receipts per verified
 * piece, credit and choking, refusals; then the payee settles on anvil and the escrow pays what the ledger says.
 */
import { expect } from 'chai'
import { Wallet } from 'ethers'
import { useChainFixture, fund, E18 } from '../agent/chain/fixture.ts'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { ChainSignerDirectory } from '../../agent/payment/index.ts'
import { settleChannel } from '../../agent/settle/index.ts'
import { amountFor, HotKeySigner, toAddress, type EscrowDomain } from '../../agent/pay/index.ts'
import { makeAgent } from './payment-agents.ts'
import { makeContent, startSeeder, leech, until } from './payment-peers.ts'

const PAYEE_KEY = ANVIL_KEYS[1]
const PAYER_KEY = ANVIL_KEYS[2]
const HOT_KEY = ANVIL_KEYS[5]
const PRICE = 1_000_000_000_000_000n // 0.001 BTT per MiB

describe('payments between two agents over TCP, settled on anvil', function () {
  this.timeout(60_000)
  const fx = useChainFixture()
  let domain: EscrowDomain

  before(() => {
    domain = { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex }
  })

  it('pays per verified piece with a hot signer found on the escrow, and the escrow pays the payee exactly what its ledger holds', async () => {
    const payerClient = fx.clients[2]!
    const payeeClient = fx.clients[1]!
    await fund(payerClient, 10n * E18)
    const hot = new HotKeySigner(HOT_KEY)
    await payerClient.setSigner(hot.address)
    const payerAddr = toAddress(new Wallet(PAYER_KEY).address)
    // the payee learns the hot signer from the escrow when the payer says hello
    const payee = makeAgent(domain, PAYEE_KEY, { pricePerMiB: PRICE, directory: new ChainSignerDirectory({ chain: payeeClient }) })
    const payer = makeAgent(domain, PAYER_KEY, { signer: hot, maxPricePerMiB: PRICE })
    const content = makeContent(8 << 20, 256 << 10)
    const seeder = await startSeeder(payee.agent, content)
    let signed = 0
    let received = 0
    let unpaid = 0
    payer.agent.on('receipt:signed', () => { signed++ })
    payee.agent.on('receipt:received', () => { received++ })
    payee.agent.on('peer:unpaid', () => { unpaid++ })
    try {
      const l = leech(payer.agent, seeder.port, content)
      const result = await l.done
      expect(result.stalled).to.equal(false)
      expect(result.verified).to.equal(content.data.length)
      await until(() => received === 32)
      expect(signed).to.equal(32)
      expect(unpaid).to.equal(0)
      const key = { chainId: domain.chainId, escrow: toAddress(domain.escrow), payer: payerAddr, payee: payee.account }
      const held = payee.ledger.newest(key)!
      expect(held.bytes).to.equal(BigInt(content.data.length))
      expect(held.amount).to.equal(amountFor(BigInt(content.data.length), PRICE))
      expect(payer.ledger.newest(key)).to.deep.equal(held)
      expect(payee.ledger.history(key)).to.have.length(32)

      const before = await payeeClient.tokenBalanceOf(payee.account)
      const outcome = await settleChannel({ ledger: payee.ledger, chain: payeeClient }, key)
      expect(outcome!.paid).to.equal(held.amount)
      expect(await payeeClient.tokenBalanceOf(payee.account) - before).to.equal(held.amount)
      expect(await payeeClient.paidOut(payerAddr, payee.account)).to.equal(held.amount)
      expect(payee.ledger.settlements(key).map(s => [s.status, s.paid])).to.deep.equal([['confirmed', held.amount]])
      // a second settlement of the same receipt pays nothing: the escrow reverts NothingToSettle, recorded as failed
      await settleChannel({ ledger: payee.ledger, chain: payeeClient }, key).catch(() => null)
      expect(payee.ledger.settlements(key).map(s => s.status)).to.deep.equal(['confirmed', 'failed'])
      expect(await payeeClient.paidOut(payerAddr, payee.account)).to.equal(held.amount)
    } finally {
      await seeder.close()
      payer.ledger.close(); payee.ledger.close()
    }
  })
})
