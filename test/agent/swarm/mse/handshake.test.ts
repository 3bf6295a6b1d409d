/**
 * The MSE/PE handshake state machine against bittorrent-protocol's own implementation (its MessageStreamEncryptor,
 * driven through its Wire), in both roles; against itself for each policy pair; and fuzzed: random bytes in each phase
 * end in MseError (never another error, never unbounded buffering).
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import Wire from 'bittorrent-protocol'
import { MseHandshake, req2Hash, JsRc4, NativeRc4, nativeRc4Available, type EncryptionPolicy, type MseLink } from '../../../../agent/swarm/mse/index.ts'
import { MseError } from '../../../../agent/swarm/errors.ts'

const INFO_HASH = 'c0ffee'.repeat(6) + 'abcd'
const PEER_ID = '2d5858303030312d' + '11'.repeat(12)
const btHandshake = (infoHash: string): Buffer => Buffer.concat([
  Buffer.from('\x13BitTorrent protocol', 'latin1'), Buffer.alloc(8), Buffer.from(infoHash, 'hex'), Buffer.from(PEER_ID, 'hex')
])
const find = (hashes: string[]) => (req2: Buffer): string | null => hashes.find(h => req2Hash(h).equals(req2)) ?? null

/** Runs two state machines against each other in memory; returns both links. */
function pair (initPolicy: EncryptionPolicy, respPolicy: EncryptionPolicy): { a: MseLink, b: MseLink } {
  const a = new MseHandshake({ role: 'initiator', policy: initPolicy, infoHash: INFO_HASH })
  const b = new MseHandshake({ role: 'responder', policy: respPolicy, findTorrent: find(['00'.repeat(20), INFO_HASH]) })
  let toB = Buffer.concat(a.start())
  let toA = Buffer.concat(b.start())
  let la: MseLink | null = null
  let lb: MseLink | null = null
  for (let round = 0; round < 10 && (la === null || lb === null); round++) {
    if (toB.length > 0 && lb === null) { const s = b.feed(toB); toB = Buffer.alloc(0); toA = Buffer.concat([toA, ...s.send]); lb = s.link }
    if (toA.length > 0 && la === null) { const s = a.feed(toA); toA = Buffer.alloc(0); toB = Buffer.concat([toB, ...s.send]); la = s.link }
  }
  if (la === null || lb === null) throw new Error('handshake did not finish')
  return { a: la, b: lb }
}

describe('swarm/mse: the MSE/PE handshake', function () {
  this.timeout(30_000)

  it('RC4 matches OpenSSL\'s where this process has it, and drops the first 1024 bytes of keystream', () => {
    const key = randomBytes(20)
    const data = randomBytes(10_000)
    const js = Buffer.from(data)
    new JsRc4(key).apply(js)
    if (nativeRc4Available()) {
      const native = Buffer.from(data)
      new NativeRc4(key).apply(native)
      expect(js.equals(native)).to.equal(true)
    }
    // the keystream after the drop differs from the one before it: a 1024-byte-shorter drop gives other bytes
    const zeros = Buffer.alloc(16)
    new JsRc4(key).apply(zeros)
    expect(zeros.equals(Buffer.alloc(16))).to.equal(false)
  })

  for (const [ini, resp, method] of [['require', 'require', 'rc4'], ['prefer', 'prefer', 'plaintext'], ['prefer', 'require', 'rc4'], ['require', 'prefer', 'rc4']] as const) {
    it(`initiator ${ini} with responder ${resp} selects ${method}, and the payload keystreams line up`, () => {
      const { a, b } = pair(ini, resp)
      expect([a.method, b.method]).to.deep.equal([method, method])
      expect(b.infoHash).to.equal(INFO_HASH)
      if (method === 'rc4') {
        const msg = Buffer.from('hello over rc4')
        const wire = Buffer.from(msg)
        a.encrypt!.apply(wire)
        expect(wire.equals(msg)).to.equal(false)
        b.decrypt!.apply(wire)
        expect(wire.equals(msg)).to.equal(true)
      }
    })
  }

  it('a responder finds no torrent for an info hash it does not serve', () => {
    const a = new MseHandshake({ role: 'initiator', policy: 'require', infoHash: INFO_HASH })
    const b = new MseHandshake({ role: 'responder', policy: 'require', findTorrent: find(['11'.repeat(20)]) })
    const yb = b.feed(Buffer.concat(a.start())).send
    const step3 = Buffer.concat(a.feed(Buffer.concat(yb)).send)
    expect(() => b.feed(step3)).to.throw(MseError, /no such torrent/)
  })

  it('our initiator completes with bittorrent-protocol\'s responder (RC4 only) and its Wire reads our encrypted handshake', async () => {
    const theirs = new Wire('tcpIncoming', 2)
    theirs.on('crypto-infohash', (req2: string) => { if (req2 === req2Hash(INFO_HASH).toString('hex')) theirs.setInfoHash(INFO_HASH) })
    const ours = new MseHandshake({ role: 'initiator', policy: 'require', infoHash: INFO_HASH })
    const got = new Promise<string>((resolve) => { theirs.on('handshake', (ih: string) => resolve(ih)) })
    let link: MseLink | null = null
    theirs.on('data', (chunk: Uint8Array) => {
      if (link !== null) return
      const step = ours.feed(Buffer.from(chunk))
      for (const b of step.send) theirs.write(b)
      if (step.link !== null) {
        link = step.link
        const hs = btHandshake(INFO_HASH)
        link.encrypt!.apply(hs)
        theirs.write(hs)
      }
    })
    for (const b of ours.start()) theirs.write(b)
    expect(await got).to.equal(INFO_HASH)
    expect(link!.method).to.equal('rc4')
    theirs.destroy()
  })

  it('bittorrent-protocol\'s initiator (RC4 only) completes with our responder, and its handshake decrypts', async () => {
    const theirs = new Wire('tcpOutgoing', 2)
    const ours = new MseHandshake({ role: 'responder', policy: 'require', findTorrent: find([INFO_HASH]) })
    theirs.on('crypto-handshake', () => { theirs.handshake(INFO_HASH, PEER_ID, { dht: false, fast: false }) })
    const linked = new Promise<{ link: MseLink, after: Buffer }>((resolve) => {
      let link: MseLink | null = null
      let after: Buffer = Buffer.alloc(0)
      theirs.on('data', (chunk: Uint8Array) => {
        const c = Buffer.from(chunk)
        if (link === null) {
          const step = ours.feed(c)
          for (const b of step.send) theirs.write(b)
          if (step.link === null) return
          link = step.link
          after = link.initial
        } else {
          link.decrypt!.apply(c)
          after = Buffer.concat([after, c])
        }
        if (after.length >= 68) resolve({ link, after })
      })
    })
    theirs.startEncryption(INFO_HASH)
    const { link, after } = await linked
    expect(link.method).to.equal('rc4')
    expect(after.subarray(0, 20).toString('latin1')).to.equal('\x13BitTorrent protocol')
    expect(after.subarray(28, 48).toString('hex')).to.equal(INFO_HASH)
    theirs.destroy()
  })

  it('random bytes in any phase end in MseError within the spec\'s bounds (fuzzed, fixed seed)', () => {
    /** A valid exchange cut after `phase` messages, then garbage to the side that reads next. */
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 1200, maxLength: 2000 }), fc.integer({ min: 1, max: 700 }), (phase, junk, chunk) => {
      const a = new MseHandshake({ role: 'initiator', policy: 'require', infoHash: INFO_HASH })
      const b = new MseHandshake({ role: 'responder', policy: 'require', findTorrent: find([INFO_HASH]) })
      const step1 = Buffer.concat(a.start())
      let victim: MseHandshake = b
      let prefix: Buffer = Buffer.alloc(0)
      if (phase === 0) { victim = b }
      if (phase >= 1) {
        const step2 = Buffer.concat(b.feed(step1.subarray(0, 96)).send)
        victim = a
        if (phase === 1) prefix = step2.subarray(0, 96)
        if (phase >= 2) {
          const step3 = Buffer.concat(a.feed(step2).send)
          victim = b
          // phase 2: real req1 and req2, then garbage where ENCRYPT(VC, crypto_provide) belongs
          prefix = step3.subarray(0, 40)
          if (phase === 3) {
            const step4 = Buffer.concat(b.feed(step3).send)
            victim = a
            // the real ENCRYPT(VC), then garbage where crypto_select belongs
            prefix = step4.subarray(0, 8)
          }
        }
      }
      const stream = Buffer.concat([prefix, Buffer.from(junk)])
      try {
        for (let at = 0; at < stream.length; at += chunk) {
          if (victim.feed(stream.subarray(at, at + chunk)).link !== null) return false
        }
      } catch (err) {
        return err instanceof MseError
      }
      return false
    }), { seed: 20261203, numRuns: 100 })
  })
})
