/**
 * One payee on two networks (docs/protocol.md §1) over real TCP with real ledgers: PaymentNetworks binds each wire to
 * the agent of the network its payer picked from `seedpay_nets`, each network prices, stores and counts apart; an older
 * v3 payer that sends no offers is bound by its hello; a payer on a network the payee does not offer refuses it before
 * any hello and pays nothing. (The CLI run of the same, with settlement on two anvils: cli-seed-networks.test.ts.)
 */
import { expect } from 'chai'
import pino from 'pino'
import type Wire from 'bittorrent-protocol'
import type { WireExtensionCtor } from 'bittorrent-protocol'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { amountFor, BTTC_CHAIN_ID, NILE_CHAIN_ID, toAddress, type EscrowDomain } from '../../agent/pay/index.ts'
import { PaymentNetworks, type PaymentAgent } from '../../agent/payment/index.ts'
import { OFFERS_KEY } from '../../agent/wire/index.ts'
import { makeAgent, type TestAgent } from './payment-agents.ts'
import { makeContent, startSeeder, leech, until, type PeerHost } from './payment-peers.ts'

const LOCAL: EscrowDomain = { chainId: NILE_CHAIN_ID, escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }
const BTTC: EscrowDomain = { chainId: BTTC_CHAIN_ID, escrow: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512' }
const ELSEWHERE: EscrowDomain = { chainId: 1n, escrow: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0' }
const PRICE_LOCAL = 1_000_000_000_000_000n
const PRICE_BTTC = 400_000_000_000_000n
const MAX = 2_000_000_000_000_000n

/** An older v3 peer: the same agent, without `seedpay_nets` in its extended handshake. */
function older (agent: PaymentAgent): PeerHost {
  return {
    on: agent.on.bind(agent), off: agent.off.bind(agent), onUploaded: agent.onUploaded.bind(agent), onVerified: agent.onVerified.bind(agent), mayServe: agent.mayServe.bind(agent), settling: agent.settling.bind(agent),
    extension: (wire, terms) => {
      // the subclass inherits the mounted class's prototype `name` (seedpay)
      const Ctor = agent.extension(wire, terms) as unknown as new (w: Wire) => object
      return class extends Ctor {
        constructor (w: Wire) { super(w); delete w.extendedHandshake[OFFERS_KEY] }
      } as unknown as WireExtensionCtor
    }
  }
}

describe('payment on two networks: one payee, a payer on each', function () {
  this.timeout(30_000)
  const opened: TestAgent[] = []
  const agent = (domain: EscrowDomain, key: string, price?: bigint): TestAgent => {
    const a = makeAgent(domain, key, { maxPricePerMiB: MAX, ...(price !== undefined ? { pricePerMiB: price } : {}) })
    opened.push(a)
    return a
  }
  afterEach(() => { for (const a of opened.splice(0)) a.ledger.close() })

  it('binds each payer to the network it offers, prices and stores each apart, and serves an older v3 payer by its hello', async () => {
    const payeeLocal = agent(LOCAL, ANVIL_KEYS[1], PRICE_LOCAL)
    const payeeBttc = agent(BTTC, ANVIL_KEYS[1], PRICE_BTTC)
    const host = new PaymentNetworks({ logger: pino({ level: 'silent' }) }, [payeeLocal.agent, payeeBttc.agent])
    const payers = [agent(LOCAL, ANVIL_KEYS[2]), agent(BTTC, ANVIL_KEYS[3]), agent(BTTC, ANVIL_KEYS[4])]
    const content = makeContent(2 << 20, 128 << 10, 31)
    const seeder = await startSeeder(host, content)
    const refused: string[] = []
    host.on('peer:refused', ({ code }) => refused.push(code))
    try {
      const results = await Promise.all([
        leech(payers[0]!.agent, seeder.port, content).done,
        leech(payers[1]!.agent, seeder.port, content).done,
        leech(older(payers[2]!.agent), seeder.port, content).done
      ])
      expect(results.map(r => r.verified)).to.deep.equal([2 << 20, 2 << 20, 2 << 20])
      const checks: Array<[TestAgent, TestAgent, EscrowDomain, bigint]> = [[payers[0]!, payeeLocal, LOCAL, PRICE_LOCAL], [payers[1]!, payeeBttc, BTTC, PRICE_BTTC], [payers[2]!, payeeBttc, BTTC, PRICE_BTTC]]
      for (const [payer, payee, domain, price] of checks) {
        const key = { chainId: domain.chainId, escrow: toAddress(domain.escrow), payer: payer.account, payee: payee.account }
        await until(() => payee.ledger.newest(key)?.bytes === 2n << 20n)
        expect(payee.ledger.newest(key)?.amount).to.equal(amountFor(2n << 20n, price))
        expect(payer.ledger.newest(key)).to.deep.equal(payee.ledger.newest(key))
      }
      // each network's ledger holds only its own payers
      const paying = (a: TestAgent): string[] => a.ledger.channels().filter(c => c.role === 'payee').map(c => c.key.payer).sort()
      expect(paying(payeeLocal)).to.deep.equal([payers[0]!.account])
      expect(paying(payeeBttc)).to.deep.equal([payers[1]!.account, payers[2]!.account].sort())
      expect(refused).to.deep.equal([])
    } finally {
      await seeder.close()
    }
  })

  it('a payer on a network the payee does not offer refuses it before any hello (err 10) and pays nothing', async () => {
    const host = new PaymentNetworks({ logger: pino({ level: 'silent' }) }, [agent(LOCAL, ANVIL_KEYS[1], PRICE_LOCAL).agent, agent(BTTC, ANVIL_KEYS[1], PRICE_BTTC).agent])
    const payer = agent(ELSEWHERE, ANVIL_KEYS[2])
    const seeder = await startSeeder(host, makeContent(1 << 20, 128 << 10, 32))
    const ours: Array<{ code: string, msg: string }> = []
    payer.agent.on('peer:refused', ({ code, msg }) => ours.push({ code, msg }))
    let hellos = 0
    host.on('peer:ready', () => { hellos++ })
    try {
      const l = leech(payer.agent, seeder.port, makeContent(1 << 20, 128 << 10, 32))
      await l.done.catch(() => undefined)
      await until(() => ours.length === 1)
      expect(ours[0]!.code).to.equal('chain')
      expect(ours[0]!.msg).to.match(/^no common network: the peer accepts receipts on chain 3448148188 escrow 0x5fbd…0aa3, chain 199 escrow 0xe7f1…0512; we accept chain 1 escrow 0x9fe4…a6e0$/)
      expect(hellos).to.equal(0)
      expect(payer.ledger.channels()).to.deep.equal([])
    } finally {
      await seeder.close()
    }
  })
})
