/**
 * `seedpay_nets` (docs/protocol.md §1): the offers codec, and the extended handshake through bittorrent-protocol's
 * real parser — random and broken offer lists (fixed seed) close exactly the offending wire with a logged reason.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import Wire from 'bittorrent-protocol'
import pino from 'pino'
import { Writable } from 'node:stream'
import { decodeOffers, encodeOffers, MAX_OFFERS, OFFER_BYTES, OFFERS_KEY, OffersEncodingError, type NetworkOffer } from '../../../agent/wire/offers.ts'
import { ProtocolViolationError } from '../../../agent/wire/errors.ts'
import { encode, type BValue } from '../../../agent/wire/bencode.ts'
import { seedpayExtension, type SeedpayExtension } from '../../../agent/wire/extension.ts'
import { helloFields, wirePair, until, INFO_HASH } from './pair.ts'
import { BTTC_CHAIN_ID, NILE_CHAIN_ID, TRON_MAINNET_CHAIN_ID } from '../../../agent/pay/receipt.ts'

const SEED = 0x0ff3
const ESCROW_A = '0x5fbdb2315678afecb367f032d93f642f64180aa3' as const
const ESCROW_B = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512' as const

const addr = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(b => ('0x' + Buffer.from(b).toString('hex')) as `0x${string}`)
const offer: fc.Arbitrary<NetworkOffer> = fc.record({ chainId: fc.bigInt(1n, (1n << 64n) - 1n), escrow: addr })
const offers = fc.uniqueArray(offer, { minLength: 1, maxLength: MAX_OFFERS, selector: o => `${o.chainId}:${o.escrow}` })

function violation (fn: () => unknown): string {
  try { fn() } catch (err) {
    expect(err).to.be.instanceOf(ProtocolViolationError)
    expect((err as ProtocolViolationError).code).to.equal('bad-offers')
    return (err as Error).message
  }
  throw new Error('no violation')
}

describe('seedpay_nets offers', () => {
  it('round-trips every valid list (chain ids up to 2^64 − 1), 28 bytes per network, in order', () => {
    fc.assert(fc.property(offers, list => {
      const bytes = encodeOffers(list)
      expect(bytes.length).to.equal(list.length * OFFER_BYTES)
      expect(decodeOffers(bytes)).to.deep.equal(list)
    }), { seed: SEED, numRuns: 2000 })
  })

  it('holds the chain ids we settle on: Nile, TRON mainnet, BTTC', () => {
    const list = [NILE_CHAIN_ID, TRON_MAINNET_CHAIN_ID, BTTC_CHAIN_ID].map((chainId, i) => ({ chainId, escrow: i === 1 ? ESCROW_B : ESCROW_A }))
    const bytes = encodeOffers(list)
    expect(Buffer.from(bytes.subarray(0, 8)).toString('hex')).to.equal('00000000cd8690dc')
    expect(decodeOffers(bytes)).to.deep.equal(list)
  })

  it('absent is null (an older peer); anything but 1–8 distinct well-formed entries is a violation', () => {
    expect(decodeOffers(undefined)).to.equal(null)
    const one = encodeOffers([{ chainId: 199n, escrow: ESCROW_A }])
    expect(violation(() => decodeOffers(new Uint8Array(0)))).to.match(/0 bytes/)
    expect(violation(() => decodeOffers(one.subarray(0, 27)))).to.match(/27 bytes, not a multiple of 28/)
    expect(violation(() => decodeOffers(Buffer.concat([one, one])))).to.match(/twice/)
    expect(violation(() => decodeOffers(new Uint8Array(28)))).to.match(/chain id 0/)
    const nine = encodeOffers(Array.from({ length: 8 }, (_, i) => ({ chainId: BigInt(i + 1), escrow: ESCROW_A })))
    expect(violation(() => decodeOffers(Buffer.concat([nine, encodeOffers([{ chainId: 99n, escrow: ESCROW_A }])])))).to.match(/9 networks/)
    expect(violation(() => decodeOffers(5))).to.match(/not a byte string/)
    expect(violation(() => decodeOffers(new Map()))).to.match(/not a byte string/)
  })

  it('refuses to announce what a peer would refuse (our own error, not a violation)', () => {
    expect(() => encodeOffers([])).to.throw(OffersEncodingError)
    expect(() => encodeOffers([{ chainId: 1n << 64n, escrow: ESCROW_A }])).to.throw(OffersEncodingError, /8 bytes/)
    expect(() => encodeOffers([{ chainId: 1n, escrow: ESCROW_A }, { chainId: 1n, escrow: ESCROW_A }])).to.throw(OffersEncodingError, /twice/)
  })
})

const BT_HANDSHAKE = (() => {
  const reserved = Buffer.alloc(8); reserved[5] = 0x10
  return Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), reserved, Buffer.from(INFO_HASH, 'hex'), Buffer.alloc(20, 9)])
})()

function frame0 (dict: Map<string, BValue>): Buffer {
  const payload = encode(dict)
  const head = Buffer.alloc(6)
  head.writeUInt32BE(payload.length + 2, 0)
  head[4] = 20
  head[5] = 0
  return Buffer.concat([head, payload])
}

/** A fresh responder wire fed a peer's BEP 3 handshake and an extended handshake carrying `value` as offers. */
async function feed (value: BValue | undefined): Promise<{ ext: SeedpayExtension, logs: string[], offers: Array<NetworkOffer[] | null> }> {
  const wire = new Wire()
  const logs: string[] = []
  const logger = pino({ level: 'warn' }, new Writable({ write (chunk: Buffer, _enc, cb) { logs.push((JSON.parse(chunk.toString()) as { detail?: string }).detail ?? ''); cb() } }))
  let ext: SeedpayExtension | null = null
  wire.use(seedpayExtension({ logger }, { initiator: false, localPeerId: () => '0d'.repeat(20), hello: () => helloFields('0x' + 'dd'.repeat(20) as `0x${string}`) }, e => { ext = e }))
  wire.on('data', () => {})
  wire.handshake(INFO_HASH, '0d'.repeat(20))
  const hs = new Map<string, BValue>([['m', new Map([['seedpay', 3]])]])
  if (value !== undefined) hs.set(OFFERS_KEY, value)
  wire.write(Buffer.concat([BT_HANDSHAKE, frame0(hs)]))
  await new Promise(resolve => setImmediate(resolve))
  return { ext: ext!, logs, offers: [ext!.peerOffers] }
}

describe('seedpay_nets in the extended handshake', function () {
  this.timeout(60_000)

  it('announces our offers and learns the peer\'s; a peer without them is an older v3 peer (null)', async () => {
    const mine = [{ chainId: NILE_CHAIN_ID, escrow: ESCROW_A }, { chainId: BTTC_CHAIN_ID, escrow: ESCROW_B }] as NetworkOffer[]
    const { a, b } = wirePair({ offers: mine }, {})
    await until(() => a.ext.ready && b.ext.ready)
    expect(b.ext.peerOffers).to.deep.equal(mine)
    expect(a.ext.peerOffers).to.equal(null)
  })

  it('fuzz (fixed seed): a malformed offer list closes that wire with a logged reason; a good one keeps it', async () => {
    const good = offers.map(l => encodeOffers(l) as BValue)
    const broken = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).filter(b => b.length % OFFER_BYTES !== 0 || b.length === 0),
      fc.tuple(offers, fc.nat()).map(([l, i]) => { const e = encodeOffers(l); const k = i % l.length; return Buffer.concat([e, e.subarray(k * OFFER_BYTES, (k + 1) * OFFER_BYTES)]) }),
      fc.uniqueArray(offer, { minLength: MAX_OFFERS + 1, maxLength: 12, selector: o => `${o.chainId}:${o.escrow}` }).map(l => Buffer.concat(l.map(o => encodeOffers([o]))) as BValue),
      fc.integer().map(n => n as BValue)
    )
    let closed = 0
    await fc.assert(fc.asyncProperty(fc.oneof(good.map(v => ({ v, ok: true })), broken.map(v => ({ v, ok: false }))), async ({ v, ok }) => {
      const r = await feed(v)
      const isClosed = r.ext.state === 'closing' || r.ext.state === 'closed'
      expect(isClosed).to.equal(!ok)
      if (isClosed) {
        closed++
        expect(r.logs).to.have.length(1)
        expect(r.logs[0]).to.match(/seedpay_nets/)
      } else {
        expect(r.offers[0]).to.deep.equal(decodeOffers(v))
      }
    }), { seed: SEED, numRuns: 600 })
    expect(closed).to.be.greaterThan(100)
  })

  it('select refusing on the initiator sends err instead of a hello; on the responder, before its hello', async () => {
    const { a, b } = wirePair({ select: () => ({ code: 'chain', msg: 'no common network' }) }, {})
    let heard: { code: number, msg: string } | null = null
    b.ext.on('peer:error-received', e => { heard = e })
    await until(() => heard !== null)
    expect(heard).to.deep.equal({ code: 10, msg: 'no common network' })
    expect(a.ext.peerHello).to.equal(null)
    const seen: unknown[] = []
    const r = wirePair({}, { select: peer => { seen.push(peer.hello?.chainId); return { code: 'escrow', msg: 'not ours' } } })
    let fromB: { code: number } | null = null
    r.a.ext.on('peer:error-received', e => { fromB = e })
    await until(() => fromB !== null)
    expect(fromB!.code).to.equal(11)
    expect(seen).to.deep.equal([NILE_CHAIN_ID])
    expect(r.a.ext.peerHello).to.equal(null) // the responder never said hello
  })
})
