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

  describe('torrents priced one by one (the daemon)', () => {
    const CHEAP = PRICE
    const DEAR = 3n * PRICE
    const KEY = (payer: string, payee: string): { chainId: bigint, escrow: `0x${string}`, payer: `0x${string}`, payee: `0x${string}` } =>
      ({ chainId: DOMAIN.chainId, escrow: toAddress(DOMAIN.escrow), payer: toAddress(payer), payee: toAddress(payee) })

    it('sells each torrent at its own price, one after the other, with exact amounts in both ledgers', async () => {
      const payee = makeAgent(DOMAIN, ANVIL_KEYS[1], { pricePerMiB: CHEAP })
      const payer = makeAgent(DOMAIN, ANVIL_KEYS[2], { pricePerMiB: 0n, maxPricePerMiB: DEAR })
      const a = makeContent(2 << 20, 128 << 10, 31)
      const b = makeContent(3 << 20, 256 << 10, 32)
      const seedA = await startSeeder(payee.agent, a)
      const seedB = await startSeeder(payee.agent, b, undefined, { pricePerMiB: DEAR })
      const refused: string[] = []
      payee.agent.on('receipt:refused', ({ code }) => refused.push(code))
      try {
        const la = leech(payer.agent, seedA.port, a)
        expect((await la.done).verified).to.equal(2 << 20)
        const key = KEY(payer.account, payee.account)
        await until(() => payee.ledger.newest(key)?.bytes === 2n << 20n)
        la.wire.destroy()
        await until(() => seedA.wires.size === 0)
        const rb = await leech(payer.agent, seedB.port, b).done
        expect(rb.verified).to.equal(3 << 20)
        await until(() => payee.ledger.newest(key)?.bytes === 5n << 20n)
        // the second session priced from the first one's newest receipt: nothing of A at B's price, nor B at A's
        const owed = amountFor(2n << 20n, CHEAP) + amountFor(3n << 20n, DEAR)
        expect(payee.ledger.newest(key)?.amount).to.equal(owed)
        expect(payer.ledger.newest(key)).to.deep.equal(payee.ledger.newest(key))
        expect(refused).to.deep.equal([])
      } finally {
        await seedA.close(); await seedB.close()
        payee.ledger.close(); payer.ledger.close()
      }
    })

    it('refuses a payer the dear torrent while it buys the cheap one (price-in-use): not one byte of it at the cheap price', async () => {
      const payee = makeAgent(DOMAIN, ANVIL_KEYS[1], { pricePerMiB: CHEAP })
      const payer = makeAgent(DOMAIN, ANVIL_KEYS[2], { pricePerMiB: 0n, maxPricePerMiB: DEAR })
      const a = makeContent(4 << 20, 128 << 10, 41)
      const b = makeContent(2 << 20, 128 << 10, 42)
      const seedA = await startSeeder(payee.agent, a)
      const seedB = await startSeeder(payee.agent, b, undefined, { pricePerMiB: DEAR })
      const refusedByPayee: string[] = []
      const refusedByPayer: string[] = []
      payee.agent.on('peer:refused', ({ code }) => refusedByPayee.push(code))
      payer.agent.on('peer:refused', ({ code }) => refusedByPayer.push(code))
      try {
        const la = leech(payer.agent, seedA.port, a, { pipeline: 4 })
        await la.remotePeerId
        await until(() => payee.ledger.newest(KEY(payer.account, payee.account)) !== null)
        const lb = leech(payer.agent, seedB.port, b, { stallMs: 500 })
        const rb = await lb.done.catch((err: Error) => ({ verified: 0, received: 0, stalled: true, err }))
        expect(rb.verified).to.equal(0)
        expect([...seedB.served.values()].reduce((x, y) => x + y, 0)).to.equal(0)
        // each side sees the clash on the other's hello; whichever speaks first closes the connection
        expect(refusedByPayee).to.include('price-in-use')
        expect(new Set([...refusedByPayee, ...refusedByPayer])).to.deep.equal(new Set(['price-in-use']))
        const ra = await la.done
        expect(ra.verified).to.equal(4 << 20)
        const key = KEY(payer.account, payee.account)
        await until(() => payee.ledger.newest(key)?.bytes === 4n << 20n)
        expect(payee.ledger.newest(key)?.amount).to.equal(amountFor(4n << 20n, CHEAP))
      } finally {
        await seedA.close(); await seedB.close()
        payee.ledger.close(); payer.ledger.close()
      }
    })

    it('a payer refuses a payee whose second torrent asks another price while their channel is open', async () => {
      // the payee here is an agent without the daemon's check: its own channel for B is refused by the payer
      const payee = makeAgent(DOMAIN, ANVIL_KEYS[1], { pricePerMiB: CHEAP })
      const payer = makeAgent(DOMAIN, ANVIL_KEYS[2], { pricePerMiB: 0n, maxPricePerMiB: DEAR })
      const a = makeContent(4 << 20, 128 << 10, 51)
      const b = makeContent(2 << 20, 128 << 10, 52)
      const seedA = await startSeeder(payee.agent, a)
      const other = makeAgent(DOMAIN, ANVIL_KEYS[1], { pricePerMiB: DEAR })
      const seedB = await startSeeder(other.agent, b)
      const refusedByPayer: string[] = []
      payer.agent.on('peer:refused', ({ code }) => refusedByPayer.push(code))
      try {
        const la = leech(payer.agent, seedA.port, a, { pipeline: 4 })
        await until(() => payer.ledger.newest(KEY(payer.account, payee.account)) !== null)
        const rb = await leech(payer.agent, seedB.port, b, { stallMs: 500 }).done.catch(() => ({ verified: 0 }))
        expect(rb.verified).to.equal(0)
        expect(refusedByPayer).to.deep.equal(['price-in-use'])
        expect((await la.done).verified).to.equal(4 << 20)
      } finally {
        await seedA.close(); await seedB.close()
        payee.ledger.close(); payer.ledger.close(); other.ledger.close()
      }
    })
  })
})
