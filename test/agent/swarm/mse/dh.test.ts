/** DhKeys share one DiffieHellman object per process: keys made and used interleaved stay each their own. */
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

  it('refuses a peer key that is not a group element (0, 1, P − 1, P) and stays usable', () => {
    const a = new DhKeys()
    const b = new DhKeys()
    for (const bad of [0n, 1n, P - 1n, P]) {
      const key = Buffer.from(bad.toString(16).padStart(DH_KEY_BYTES * 2, '0'), 'hex')
      expect(() => a.secret(key)).to.throw()
    }
    expect(a.secret(b.publicKey).equals(b.secret(a.publicKey))).to.equal(true)
  })
})
