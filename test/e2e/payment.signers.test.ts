/**
 * Registered hot signers, read from the escrow on anvil: the current signer counts, a replaced one counts
 * until its grace period ends (as the contract decides), and a payee session waits for the lookup before it
 * checks the payer's hello proof: nothing is served, no channel opened before. A payer whose hot signer is
 * registered proves its account with it and pays with it; an unregistered hot key proves nothing.
 */
import { expect } from 'chai'
import { useChainFixture, increaseTime, DELAY } from '../agent/chain/fixture.ts'
import { ChainSignerDirectory } from '../../agent/payment/index.ts'
import { HotKeySigner, toAddress } from '../../agent/pay/index.ts'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import type { Address } from '../../agent/pay/index.ts'
import { makeAgent } from './payment-agents.ts'
import { makeContent, startSeeder, leech, until, sleep } from './payment-peers.ts'

describe('ChainSignerDirectory on anvil', function () {
  this.timeout(60_000)
  const fx = useChainFixture()

  async function chainNowMs (): Promise<number> {
    const block = await fx.provider.getBlock('latest')
    return (block?.timestamp ?? 0) * 1000
  }

  it('knows the current signer and keeps a replaced one only during its grace period', async () => {
    const payerClient = fx.clients[2]!
    const payer = toAddress(payerClient.account!)
    const hot1 = new HotKeySigner(ANVIL_KEYS[5])
    const hot2 = new HotKeySigner(ANVIL_KEYS[6])
    let now = await chainNowMs()
    const dir = new ChainSignerDirectory({ chain: fx.readOnly, clock: () => now }, { ttlMs: 0 })
    await dir.refresh(payer)
    expect(dir.signersOf(payer)).to.deep.equal([])
    await payerClient.setSigner(hot1.address)
    await payerClient.setSigner(hot2.address)
    now = await chainNowMs()
    await dir.refresh(payer)
    expect(dir.signersOf(payer)).to.deep.equal([hot2.address, hot1.address])
    await increaseTime(fx, DELAY + 1n)
    now = await chainNowMs()
    expect(dir.signersOf(payer)).to.deep.equal([hot2.address])
  })

  it('caches lookups for its TTL', async () => {
    let calls = 0
    const chain = { signerOf: async (p: string) => { calls++; return await fx.readOnly.signerOf(p) } }
    const dir = new ChainSignerDirectory({ chain }, { ttlMs: 60_000 })
    const payer = toAddress(fx.clients[3]!.account!)
    await dir.refresh(payer)
    await dir.refresh(payer)
    expect(calls).to.equal(1)
  })

  it('serves a payer nothing until its signers are looked up, then accepts the hot signer\'s proof and receipts', async () => {
    const domain = { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex }
    const hot = new HotKeySigner(ANVIL_KEYS[5])
    const known: Record<string, Address[]> = {}
    let lookedUpAt = 0
    let channelsBeforeLookup = -1
    const slowDirectory = {
      signersOf: (p: Address) => known[p] ?? [],
      refresh: async (p: Address) => {
        await sleep(300)
        channelsBeforeLookup = payee.ledger.channels().length
        known[p] = [hot.address]; lookedUpAt = Date.now()
      }
    }
    const payee = makeAgent(domain, ANVIL_KEYS[1], { directory: slowDirectory })
    const payer = makeAgent(domain, ANVIL_KEYS[2], { signer: hot })
    const content = makeContent(1 << 20, 128 << 10, 3)
    const seeder = await startSeeder(payee.agent, content)
    const receivedAt: number[] = []
    const refused: string[] = []
    payee.agent.on('receipt:received', () => receivedAt.push(Date.now()))
    payee.agent.on('receipt:refused', ({ code }) => refused.push(code))
    let firstSignedAt = 0
    let readyAt = 0
    payer.agent.on('receipt:signed', () => { if (firstSignedAt === 0) firstSignedAt = Date.now() })
    payee.agent.on('peer:ready', () => { readyAt = Date.now() })
    try {
      await leech(payer.agent, seeder.port, content, { pieces: 4 }).done
      // every byte of the 4 pieces paid and stored; how many receipts that took depends on the pacer's timing
      // (coalesced on a loaded machine), so it is not counted
      const paid = 4n * BigInt(content.pieceLength)
      await until(() => payee.ledger.channels().some(c => c.role === 'payee' && c.newest?.bytes === paid))
      expect(receivedAt.length).to.be.at.least(1)
      expect(refused).to.deep.equal([])
      expect(channelsBeforeLookup).to.equal(0)
      expect(readyAt).to.be.at.least(lookedUpAt)
      expect(firstSignedAt).to.be.at.least(lookedUpAt)
      expect(receivedAt[0]).to.be.at.least(lookedUpAt)
    } finally {
      await seeder.close()
      payee.ledger.close(); payer.ledger.close()
    }
  })

  it('admits a payer whose hello proof is signed by its hot signer registered on the escrow, and refuses an unregistered one', async () => {
    const domain = { chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex }
    const payerClient = fx.clients[2]!
    const hot = new HotKeySigner(ANVIL_KEYS[5])
    await payerClient.setSigner(hot.address)
    const payee = makeAgent(domain, ANVIL_KEYS[1], { directory: new ChainSignerDirectory({ chain: fx.readOnly }) })
    const content = makeContent(1 << 20, 128 << 10, 4)
    const seeder = await startSeeder(payee.agent, content)
    const received: bigint[] = []
    const refused: string[] = []
    payee.agent.on('receipt:received', ({ receipt }) => received.push(receipt.bytes))
    payee.agent.on('peer:refused', ({ code }) => refused.push(code))
    const honest = makeAgent(domain, ANVIL_KEYS[2], { signer: hot })
    const stray = makeAgent(domain, ANVIL_KEYS[3], { signer: new HotKeySigner(ANVIL_KEYS[6]) })
    try {
      const result = await leech(honest.agent, seeder.port, content, { pieces: 4 }).done
      expect(result.verified).to.equal(512 << 10)
      await until(() => received.length === 4)
      expect(refused).to.deep.equal([])
      const l = leech(stray.agent, seeder.port, content)
      await l.done.catch(() => null)
      await until(() => l.wire.destroyed)
      expect(refused).to.deep.equal(['bad-proof'])
      const rows = payee.ledger.channels().map(c => `${c.role} ${c.key.payer}→${c.key.payee}`).sort()
      expect(rows).to.deep.equal([`payee ${honest.account}→${payee.account}`, `payer ${payee.account}→${honest.account}`])
    } finally {
      await seeder.close()
      payee.ledger.close(); honest.ledger.close(); stray.ledger.close()
    }
  })
})
