import { expect } from 'chai'
import fc from 'fast-check'
import { SigningKey, Wallet, getBytes, hexlify, recoverAddress, Signature } from 'ethers'
import { HotKeySigner } from '../../../agent/pay/index.ts'

/** secp256k1's group order: a private key is in [1, n). */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

describe('HotKeySigner (native libsecp256k1)', () => {
  it('signs byte for byte what ethers\' SigningKey signs (RFC 6979, low s, EIP-2098 compact), for random keys and digests', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: N - 1n }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (k, digest) => {
      const key = '0x' + k.toString(16).padStart(64, '0')
      const ours = new HotKeySigner(key).signDigest(digest)
      expect(hexlify(ours)).to.equal(new SigningKey(key).sign(digest).compactSerialized)
    }), { numRuns: 300, seed: 20261202 })
  })

  it('recovers to its own address with either recovery bit', () => {
    const wallet = Wallet.createRandom()
    const signer = new HotKeySigner(wallet.privateKey)
    expect(signer.address).to.equal(wallet.address.toLowerCase())
    const parities = new Set<number>()
    for (let i = 0; parities.size < 2 && i < 64; i++) {
      const digest = getBytes(hexlify(new Uint8Array(32).fill(i)))
      const sig = Signature.from(hexlify(signer.signDigest(digest)))
      parities.add(sig.yParity)
      expect(recoverAddress(digest, sig)).to.equal(wallet.address)
    }
    expect([...parities].sort()).to.deep.equal([0, 1])
  })
})
