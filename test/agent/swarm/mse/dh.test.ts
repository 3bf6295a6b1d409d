/** DhKeys: keys made and used interleaved stay each their own, and agree with OpenSSL's Diffie-Hellman. */
import { createDiffieHellman } from 'node:crypto'
import { expect } from 'chai'
import { DhKeys } from '../../../../agent/swarm/mse/dh.ts'
import { DH_KEY_BYTES, DH_PRIME_HEX } from '../../../../agent/swarm/mse/constants.ts'

const P = BigInt('0x' + DH_PRIME_HEX)
const asInt = (b: Buffer): bigint => BigInt('0x' + b.toString('hex'))

describe('MSE DhKeys', () => {
  it('agree pairwise on a secret however their uses interleave, and differ between pairs', () => {
    const [a, b, c] = [new DhKeys(), new DhKeys(), new DhKeys()]
    for (const k of [a, b, c]) {
      expect(k.publicKey.length).to.equal(DH_KEY_BYTES)
      expect(asInt(k.publicKey) > 1n && asInt(k.publicKey) < P).to.equal(true)
    }
    const ab = a.secret(b.publicKey)
    const ac = a.secret(c.publicKey)
    const ca = c.secret(a.publicKey)
    const ba = b.secret(a.publicKey)
    expect(ab.equals(ba)).to.equal(true)
    expect(ac.equals(ca)).to.equal(true)
    expect(ab.equals(ac)).to.equal(false)
    expect(ab.length).to.equal(DH_KEY_BYTES)
    expect(new Set([a, b, c].map(k => k.publicKey.toString('hex'))).size).to.equal(3)
  })

  it('agrees with OpenSSL on the secret, either side, for keys of any length (leading zero bytes included)', () => {
    const fixed = (b: Buffer): Buffer => Buffer.concat([Buffer.alloc(DH_KEY_BYTES - b.length), b])
    const openssl = createDiffieHellman(Buffer.from(DH_PRIME_HEX, 'hex'), 2)
    let short = 0
    for (let i = 0; i < 64; i++) {
      const ours = new DhKeys()
      const theirs = fixed(openssl.generateKeys())
      if (openssl.getPublicKey().length < DH_KEY_BYTES) short++
      expect(ours.secret(theirs).equals(fixed(openssl.computeSecret(ours.publicKey)))).to.equal(true)
      if (i % 8 === 7) openssl.setPrivateKey(Buffer.alloc(1, i)) // a tiny private key: a public key with leading zero bytes
    }
    expect(short).to.be.greaterThan(0)
  })

  it('refuses a peer key that is not a group element (0, 1, P − 1, P) and stays usable', () => {
    const a = new DhKeys()
    const b = new DhKeys()
    for (const bad of [0n, 1n, P - 1n, P, 2n ** 768n - 1n]) {
      const key = Buffer.from(bad.toString(16).padStart(DH_KEY_BYTES * 2, '0'), 'hex')
      expect(() => a.secret(key)).to.throw(RangeError)
    }
    expect(() => a.secret(b.publicKey.subarray(1))).to.throw(RangeError)
    expect(a.secret(b.publicKey).equals(b.secret(a.publicKey))).to.equal(true)
  })
})
