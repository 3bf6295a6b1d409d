/**
 * What a payee refuses, over real TCP between two agents: a peer that does not pay gets at most the credit
 * and is choked; forged, cross-domain replayed, lower and underpriced receipts close that peer (logged,
 * typed event), leave the ledger untouched, and other peers keep being served. A hello whose proof does not
 * show its sender speaks for its account (another payer's account, a proof made for another connection or
 * torrent) and an account that can never be paid close that peer before anything is served or stored.
 * A payer refuses a payee asking more than its maximum, and a payer that lost its ledger resumes from the
 * payee's `hello.last`.
 */
import { connect } from 'node:net'
import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import pino from 'pino'
import Wire from 'bittorrent-protocol'
import {
  addressToBytes, HotKeySigner, ReceiptVerifier, MIB, amountFor, NILE_CHAIN_ID, signHelloProof, toAddress,
  type Address, type EscrowDomain, type HelloProofFields
} from '../../agent/pay/index.ts'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { seedpayExtension, type ErrorName, type HelloIds, type SeedpayExtension } from '../../agent/wire/index.ts'
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

  /** Everything the payee holds about `account`: ledger rows either way. */
  const rowsOf = (account: Address) => payee.ledger.channels().filter(c => c.key.payer === account || c.key.payee === account)

  it('refuses a peer announcing another payer\'s account with a proof by its own key (bad-proof): serves it nothing, stores nothing', async () => {
    const victim = makeAgent(DOMAIN, PAYER_KEY)
    const impostorKey = new HotKeySigner(ANVIL_KEYS[7])
    const impostor = makeAgent(DOMAIN, ANVIL_KEYS[7], { account: victim.account }) // signs with key 7, claims key 2's account
    const peerRefused: ErrorName[] = []
    payee.agent.on('peer:refused', ({ code }) => peerRefused.push(code))
    const l = leech(impostor.agent, seeder.port, content)
    await l.done.catch(() => null)
    await until(() => l.wire.destroyed)
    expect(peerRefused).to.deep.equal(['bad-proof'])
    expect(seeder.served.get(l.peerId) ?? 0).to.equal(0)
    expect(rowsOf(victim.account)).to.deep.equal([])
    // the payee says why, with who really signed; the impostor hears err 27
    const log = payee.logs.map(line => JSON.parse(line) as Record<string, unknown>).find(e => e.msg === 'hello proof refused')
    expect(log).to.include({ peerId: l.peerId, account: victim.account, recovered: impostorKey.address })
    expect(impostor.logs.join('')).to.match(/"code":27.*seedpay peer reported an error/)
    // the real payer is served on its own account as before
    const result = await leech(victim.agent, seeder.port, content, { pieces: 2 }).done
    expect(result.verified).to.equal(512 << 10)
    expect(refused).to.deep.equal([])
    impostor.ledger.close(); victim.ledger.close()
  })

  /** A hand-made seedpay peer whose hello carries the honest payer's account and key, signed over `fields(ids)`. */
  async function helloWithProof (fields: (ids: HelloIds) => HelloProofFields): Promise<{ errors: number[], ext: SeedpayExtension }> {
    const signer = new HotKeySigner(PAYER_KEY)
    const peerId = randomBytes(20).toString('hex')
    const socket = connect(seeder.port, '127.0.0.1')
    const wire = new Wire('tcpOutgoing')
    socket.pipe(wire as unknown as NodeJS.WritableStream); wire.pipe(socket)
    socket.on('error', () => wire.destroy()); socket.on('close', () => wire.destroy()); wire.on('close', () => socket.destroy())
    const errors: number[] = []
    let ext: SeedpayExtension | null = null
    wire.use(seedpayExtension({ logger: pino({ level: 'silent' }) }, {
      initiator: true,
      localPeerId: () => peerId,
      hello: (_peer, ids) => ({
        chainId: DOMAIN.chainId, escrow: toAddress(DOMAIN.escrow), account: signer.address, pricePerMiB: 0n, credit: MIB,
        proof: signHelloProof(signer, DOMAIN, fields(ids))
      })
    }, e => { ext = e; e.on('peer:error-received', ({ code }) => errors.push(code)) }))
    wire.handshake(content.infoHash, peerId)
    await until(() => wire.destroyed)
    return { errors, ext: ext! }
  }

  const misbound: Array<[string, (ids: HelloIds, account: Address) => HelloProofFields]> = [
    ['another torrent', (ids, account) => ({ account, sender: ids.local, receiver: ids.remote, infoHash: 'ee'.repeat(20) })],
    ['another of its own peer ids (a proof from another connection)', (ids, account) => ({ account, sender: 'ab'.repeat(20), receiver: ids.remote, infoHash: ids.infoHash })],
    ['another payee\'s peer id', (ids, account) => ({ account, sender: ids.local, receiver: 'cd'.repeat(20), infoHash: ids.infoHash })],
    ['the ids swapped (the payee\'s own view reflected)', (ids, account) => ({ account, sender: ids.remote, receiver: ids.local, infoHash: ids.infoHash })]
  ]
  for (const [name, bind] of misbound) {
    it(`refuses with bad-proof a proof by the account's own key made for ${name}`, async () => {
      const account = toAddress(new HotKeySigner(PAYER_KEY).address)
      const peerRefused: ErrorName[] = []
      payee.agent.on('peer:refused', ({ code }) => peerRefused.push(code))
      const { errors } = await helloWithProof(ids => bind(ids, account))
      expect(errors).to.deep.equal([27])
      expect(peerRefused).to.deep.equal(['bad-proof'])
      expect(rowsOf(account)).to.deep.equal([])
      expect([...seeder.served.values()]).to.deep.equal([])
    })
  }

  it('admits the same hand-made peer when its proof is bound to this connection (the cases above differ only there)', async () => {
    const account = toAddress(new HotKeySigner(PAYER_KEY).address)
    let ready = false
    payee.agent.on('peer:ready', () => { ready = true })
    const peer = helloWithProof(ids => ({ account, sender: ids.local, receiver: ids.remote, infoHash: ids.infoHash }))
    await until(() => ready)
    expect(rowsOf(account).map(c => c.role).sort()).to.deep.equal(['payee', 'payer'])
    for (const w of seeder.wires) w.destroy()
    expect((await peer).errors).to.deep.equal([])
  })

  for (const [name, account] of [['the zero address', '0x' + '00'.repeat(20)], ['the escrow', DOMAIN.escrow]] as const) {
    it(`refuses a peer whose account is ${name} with payee-address (it could never be paid)`, async () => {
      const odd = makeAgent(DOMAIN, PAYER_KEY, { account: toAddress(account) })
      const peerRefused: ErrorName[] = []
      payee.agent.on('peer:refused', ({ code }) => peerRefused.push(code))
      const l = leech(odd.agent, seeder.port, content)
      await l.done.catch(() => null)
      await until(() => l.wire.destroyed)
      expect(peerRefused).to.deep.equal(['payee-address'])
      expect(payee.ledger.channels()).to.deep.equal([])
      odd.ledger.close()
    })
  }

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
