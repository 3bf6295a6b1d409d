/**
 * What a payee refuses, over real TCP between two agents: a peer that does not pay gets at most the credit
 * and is choked; forged, cross-domain replayed, lower and underpriced receipts close that peer (logged,
 * typed event), leave the ledger untouched, and other peers keep being served. A payer refuses a payee
 * asking more than its maximum, and a payer that lost its ledger resumes from the payee's `hello.last`.
 */
import { expect } from 'chai'
import { addressToBytes, HotKeySigner, ReceiptVerifier, MIB, amountFor, NILE_CHAIN_ID, toAddress, type EscrowDomain } from '../../agent/pay/index.ts'
import { ANVIL_KEYS } from '../../agent/chain/anvil.ts'
import type { ErrorName } from '../../agent/wire/index.ts'
import { makeAgent, type TestAgent } from './payment-agents.ts'
import { makeContent, startSeeder, leech, until, type Seeder } from './payment-peers.ts'

const DOMAIN: EscrowDomain = { chainId: NILE_CHAIN_ID, escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }
const PRICE = 1_000_000_000_000_000n
const PAYEE_KEY = ANVIL_KEYS[1]
const PAYER_KEY = ANVIL_KEYS[2]
const content = makeContent(4 << 20, 256 << 10)

describe('payment refusals over TCP', function () {
  this.timeout(30_000)
  let payee: TestAgent
  let seeder: Seeder
  const refused: ErrorName[] = []

  beforeEach(async () => {
    refused.length = 0
    payee = makeAgent(DOMAIN, PAYEE_KEY, { pricePerMiB: PRICE, credit: MIB })
    payee.agent.on('receipt:refused', ({ code }) => refused.push(code))
    seeder = await startSeeder(payee.agent, content)
  })
  afterEach(async () => {
    await seeder.close()
    payee.ledger.close()
  })

  it('serves a peer that never pays at most the credit, then chokes it', async () => {
    const payer = makeAgent(DOMAIN, PAYER_KEY)
    const unpaid: bigint[] = []
    payee.agent.on('peer:unpaid', e => unpaid.push(e.unpaid))
    const result = await leech(payer.agent, seeder.port, content, { pay: false, stallMs: 500 }).done
    expect(result.stalled).to.equal(true)
    const served = [...seeder.served.values()].reduce((a, b) => a + b, 0)
    expect(served).to.be.at.most(Number(MIB))
    expect(served).to.be.greaterThan(Number(MIB) - 16 * 1024 - 1)
    expect(unpaid).to.have.length(1)
    payer.ledger.close()
  })

  async function readyPayer (init: Parameters<typeof makeAgent>[2] = {}) {
    const payer = makeAgent(DOMAIN, PAYER_KEY, init)
    const l = leech(payer.agent, seeder.port, content, { pieces: 0 })
    await l.done
    const session = payer.agent.session(seeder.peerId)!
    return { payer, l, session }
  }

  function signFor (domain: EscrowDomain, key: string, payer: `0x${string}`, bytes: bigint, amount: bigint) {
    const v = new ReceiptVerifier({}, { domain })
    const sig = new HotKeySigner(key).signDigest(v.hasher.digest(addressToBytes(payer), addressToBytes(payee.account), bytes, amount))
    return { bytes, amount, sig }
  }

  const cases: Array<[string, ErrorName, (payer: `0x${string}`) => ReturnType<typeof signFor>]> = [
    ['forged by a stranger', 'unauthorised-signer', p => signFor(DOMAIN, ANVIL_KEYS[7], p, MIB, amountFor(MIB, PRICE))],
    ['replayed from another escrow', 'unauthorised-signer', p => signFor({ ...DOMAIN, escrow: '0x' + '77'.repeat(20) }, PAYER_KEY, p, MIB, amountFor(MIB, PRICE))],
    ['replayed from another chain', 'unauthorised-signer', p => signFor({ ...DOMAIN, chainId: 728126428n }, PAYER_KEY, p, MIB, amountFor(MIB, PRICE))],
    ['priced below price × bytes', 'underpaid', p => signFor(DOMAIN, PAYER_KEY, p, MIB, amountFor(MIB, PRICE) - 1n)]
  ]
  for (const [name, code, make] of cases) {
    it(`refuses a receipt ${name} with ${code}, logs it and closes only that peer`, async () => {
      const { payer, l, session } = await readyPayer()
      session.ext.sendReceipt(make(payer.account))
      await until(() => l.wire.destroyed)
      expect(refused).to.deep.equal([code])
      expect(payee.logs.join('')).to.contain('receipt refused')
      expect(payee.ledger.channels().every(c => c.newest === null)).to.equal(true)
      payer.ledger.close()
      // another peer is still served and pays normally
      const other = makeAgent(DOMAIN, ANVIL_KEYS[3])
      const result = await leech(other.agent, seeder.port, content, { pieces: 2 }).done
      expect(result.verified).to.equal(512 << 10)
      other.ledger.close()
    })
  }

  it('refuses a lower cumulative receipt after a higher one (stale)', async () => {
    const { payer, l, session } = await readyPayer()
    const received: bigint[] = []
    payee.agent.on('receipt:received', ({ receipt }) => received.push(receipt.bytes))
    session.ext.sendReceipt(signFor(DOMAIN, PAYER_KEY, payer.account, 2n * MIB, amountFor(2n * MIB, PRICE)))
    session.ext.sendReceipt(signFor(DOMAIN, PAYER_KEY, payer.account, MIB, amountFor(MIB, PRICE)))
    await until(() => l.wire.destroyed)
    expect(received).to.deep.equal([2n * MIB])
    expect(refused).to.deep.equal(['stale'])
    const key = { chainId: DOMAIN.chainId, escrow: toAddress(DOMAIN.escrow), payer: payer.account, payee: payee.account }
    expect(payee.ledger.newest(key)?.bytes).to.equal(2n * MIB)
    payer.ledger.close()
  })

  it('makes a payer refuse a payee asking more than its maximum price', async () => {
    const payer = makeAgent(DOMAIN, PAYER_KEY, { maxPricePerMiB: PRICE - 1n })
    const peerRefused: ErrorName[] = []
    payer.agent.on('peer:refused', ({ code }) => peerRefused.push(code))
    const l = leech(payer.agent, seeder.port, content)
    await l.done.catch(() => null)
    await until(() => l.wire.destroyed)
    expect(peerRefused).to.deep.equal(['price'])
    payer.ledger.close()
  })

  it('resynchronises a payer that lost its ledger from the payee\'s hello.last', async () => {
    const first = makeAgent(DOMAIN, PAYER_KEY)
    await leech(first.agent, seeder.port, content, { pieces: 4 }).done
    await until(() => payee.ledger.channels().some(c => c.newest?.bytes === 1n * MIB))
    first.ledger.close()
    const fresh = makeAgent(DOMAIN, PAYER_KEY) // new temp dir: all state lost
    const resynced: bigint[] = []
    fresh.agent.on('peer:resynced', ({ receipt }) => resynced.push(receipt.bytes))
    const received: bigint[] = []
    payee.agent.on('receipt:received', ({ receipt }) => received.push(receipt.bytes))
    // a real client would resume at piece 4; this loop re-downloads from 0, which still only ever adds bytes
    await leech(fresh.agent, seeder.port, content, { pieces: 2 }).done
    await until(() => received.length === 2)
    expect(resynced).to.deep.equal([MIB])
    expect(received).to.deep.equal([MIB + (256n << 10n), MIB + (512n << 10n)])
    expect(refused).to.deep.equal([])
    fresh.ledger.close()
  })
})
