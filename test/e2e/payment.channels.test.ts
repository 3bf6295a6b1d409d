/**
 * One channel per pair of accounts: two torrents between the same two agents at once share one cumulative
 * counter on each side, so receipts never race each other and the payer's credit is per account.
 */
import { expect } from 'chai'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { amountFor, NILE_CHAIN_ID, toAddress, type EscrowDomain } from '../../agent/pay/index.ts'
import { makeAgent } from './payment-agents.ts'
import { makeContent, startSeeder, leech, until } from './payment-peers.ts'

const DOMAIN: EscrowDomain = { chainId: NILE_CHAIN_ID, escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }
const PRICE = 1_000_000_000_000_000n

describe('payment channels shared across connections', function () {
  this.timeout(30_000)

  it('pays for two concurrent torrents from one payer to one payee through a single cumulative channel', async () => {
    const payee = makeAgent(DOMAIN, ANVIL_KEYS[1], { pricePerMiB: PRICE })
    const payer = makeAgent(DOMAIN, ANVIL_KEYS[2])
    const a = makeContent(2 << 20, 128 << 10, 11)
    const b = makeContent(3 << 20, 256 << 10, 12)
    const seedA = await startSeeder(payee.agent, a)
    const seedB = await startSeeder(payee.agent, b)
    const refused: string[] = []
    payee.agent.on('receipt:refused', ({ code }) => refused.push(code))
    const carriers = new Set<string | null>()
    payer.agent.on('receipt:signed', ({ peerId }) => carriers.add(peerId))
    try {
      const [ra, rb] = await Promise.all([leech(payer.agent, seedA.port, a).done, leech(payer.agent, seedB.port, b).done])
      expect(ra.verified + rb.verified).to.equal(5 << 20)
      const key = { chainId: DOMAIN.chainId, escrow: toAddress(DOMAIN.escrow), payer: payer.account, payee: payee.account }
      await until(() => payee.ledger.newest(key)?.bytes === 5n << 20n)
      expect(payee.ledger.newest(key)?.amount).to.equal(amountFor(5n << 20n, PRICE))
      expect(payer.ledger.newest(key)).to.deep.equal(payee.ledger.newest(key))
      expect(payee.ledger.check()).to.deep.equal([])
      expect(refused).to.deep.equal([])
      expect(carriers.size).to.equal(1)
    } finally {
      await seedA.close(); await seedB.close()
      payee.ledger.close(); payer.ledger.close()
    }
  })

  it('keeps paying through the remaining wire when a remote client with one peer id in two torrents drops one', async () => {
    const payee = makeAgent(DOMAIN, ANVIL_KEYS[1], { pricePerMiB: PRICE })
    const payer = makeAgent(DOMAIN, ANVIL_KEYS[2])
    const a = makeContent(2 << 20, 128 << 10, 21)
    const b = makeContent(3 << 20, 128 << 10, 22)
    const sameId = '2d5452333030302d' + '11'.repeat(12) // e.g. a libtorrent-based client: one peer id per session
    const seedA = await startSeeder(payee.agent, a, sameId)
    const seedB = await startSeeder(payee.agent, b, sameId)
    const refused: string[] = []
    payee.agent.on('receipt:refused', ({ code }) => refused.push(code))
    try {
      const la = leech(payer.agent, seedA.port, a, { pieces: 4 })
      const lb = leech(payer.agent, seedB.port, b)
      await la.done
      la.wire.destroy()
      const rb = await lb.done
      expect(rb.stalled).to.equal(false)
      const key = { chainId: DOMAIN.chainId, escrow: toAddress(DOMAIN.escrow), payer: payer.account, payee: payee.account }
      const total = BigInt((4 << 17) + (3 << 20))
      await until(() => payee.ledger.newest(key)?.bytes === total)
      expect(payer.ledger.newest(key)?.bytes).to.equal(total)
      expect(refused).to.deep.equal([])
    } finally {
      await seedA.close(); await seedB.close()
      payee.ledger.close(); payer.ledger.close()
    }
  })
})
