import { expect } from 'chai'
import fc from 'fast-check'
import { Signature, Wallet, getAddress, hexlify, solidityPacked, toBeHex } from 'ethers'
import {
  BATCH_ENTRY_SIZE, MAX_BATCH_SIZE, RESERVE_ENTRY_SIZE, decodeBatch, decodeBatchRecords, decodeReserveEntries, encodeBatch, encodeBatchEntry,
  encodeBatchRecords, encodeReserveEntries, toCompactSignature, UINT64_MAX, UINT128_MAX
} from '../../../agent/chain/batch-encoding.ts'
import { BatchSizeError, MalformedSignatureError, ValueOutOfRangeError } from '../../../agent/chain/errors.ts'
import type { SignedReceipt } from '../../../agent/chain/client.ts'

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const wallet = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const PAYEE = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc'

function entry (bytes: bigint, amount: bigint, signature: string, payer = wallet.address): SignedReceipt {
  return { receipt: { payer, payee: PAYEE, cumulativeBytes: bytes, cumulativeAmount: amount }, signature }
}

const sig65 = wallet.signingKey.sign('0x' + '11'.repeat(32)).serialized

describe('batch encoding', () => {
  it('packs an entry exactly as solidityPacked(address, uint64, uint128, bytes32, bytes32) with r‖vs', () => {
    const e = entry(123_456_789n, 10n ** 18n, sig65)
    const sig = Signature.from(sig65)
    const expected = solidityPacked(['address', 'uint64', 'uint128', 'bytes32', 'bytes32'], [wallet.address, 123_456_789n, 10n ** 18n, sig.r, sig.yParityAndS])
    expect(hexlify(encodeBatchEntry(e))).to.equal(expected)
    expect(encodeBatchEntry(e)).to.have.length(BATCH_ENTRY_SIZE)
  })

  it('round-trips random entries through encodeBatch / decodeBatch (fixed seed)', () => {
    const arb = fc.record({
      payer: fc.uint8Array({ minLength: 20, maxLength: 20 }).map(b => getAddress(hexlify(b))),
      bytes: fc.bigInt({ min: 0n, max: UINT64_MAX }),
      amount: fc.bigInt({ min: 0n, max: UINT128_MAX }),
      digest: fc.uint8Array({ minLength: 32, maxLength: 32 })
    })
    fc.assert(fc.property(fc.array(arb, { minLength: 1, maxLength: 8 }), xs => {
      const entries = xs.map(x => entry(x.bytes, x.amount, wallet.signingKey.sign(x.digest).serialized, x.payer))
      const decoded = decodeBatch(encodeBatch(entries))
      expect(decoded.map(d => [d.payer, d.cumulativeBytes, d.cumulativeAmount])).to.deep.equal(xs.map(x => [x.payer, x.bytes, x.amount]))
      decoded.forEach((d, i) => {
        const sig = Signature.from(entries[i]!.signature)
        expect([d.r, d.vs]).to.deep.equal([sig.r, sig.yParityAndS])
      })
    }), { seed: 42, numRuns: 200 })
  })

  it('rejects values wider than uint64 / uint128 and negatives with ValueOutOfRangeError', () => {
    expect(() => encodeBatchEntry(entry(UINT64_MAX + 1n, 1n, sig65))).to.throw(ValueOutOfRangeError, /cumulativeBytes/)
    expect(() => encodeBatchEntry(entry(1n, UINT128_MAX + 1n, sig65))).to.throw(ValueOutOfRangeError, /cumulativeAmount/)
    expect(() => encodeBatchEntry(entry(-1n, 1n, sig65))).to.throw(ValueOutOfRangeError)
    expect(() => encodeBatchEntry(entry(UINT64_MAX, UINT128_MAX, sig65))).not.to.throw()
    try {
      encodeBatchEntry(entry(1n, 1n << 128n, sig65))
    } catch (err) {
      expect(err).to.be.instanceOf(ValueOutOfRangeError)
      expect((err as ValueOutOfRangeError).bits).to.equal(128)
      expect((err as ValueOutOfRangeError).value).to.equal(1n << 128n)
    }
  })

  it('compacts 65-byte signatures with v 27/28 or 0/1, passes 64-byte ones through, rejects others', () => {
    const sig = Signature.from(sig65)
    const v01 = sig65.slice(0, 130) + (sig.yParity === 1 ? '01' : '00')
    expect(toCompactSignature(sig65)).to.deep.equal({ r: sig.r, vs: sig.yParityAndS })
    expect(toCompactSignature(v01)).to.deep.equal({ r: sig.r, vs: sig.yParityAndS })
    expect(toCompactSignature(sig.compactSerialized)).to.deep.equal({ r: sig.r, vs: sig.yParityAndS })
    expect(() => toCompactSignature(sig65.slice(0, 130) + '1d')).to.throw(MalformedSignatureError, /v = 29/)
    expect(() => toCompactSignature('0x1234')).to.throw(MalformedSignatureError, /length 2/)
    expect(() => toCompactSignature('nothex')).to.throw(MalformedSignatureError)
  })

  it('rejects the malleable high-s twin of a signature', () => {
    const sig = Signature.from(sig65)
    const highS = toBeHex(N - BigInt(sig.s), 32)
    const twin = sig.r + highS.slice(2) + (sig.v === 27 ? '1c' : '1b')
    expect(() => toCompactSignature(twin)).to.throw(MalformedSignatureError, /malleable|non-canonical/)
  })

  it('refuses empty and oversized batches', () => {
    expect(() => encodeBatch([])).to.throw(BatchSizeError)
    const one = entry(1n, 1n, sig65)
    expect(() => encodeBatch(Array.from({ length: MAX_BATCH_SIZE + 1 }, () => one))).to.throw(BatchSizeError)
    expect(encodeBatch(Array.from({ length: MAX_BATCH_SIZE }, () => one))).to.have.length(2 + 2 * BATCH_ENTRY_SIZE * MAX_BATCH_SIZE)
  })

  it('round-trips BatchSettled records (payer ‖ bytes ‖ amount ‖ paid, 60 bytes each)', () => {
    const records = [
      { payer: wallet.address, cumulativeBytes: UINT64_MAX, paid: 5n, cumulativeAmount: UINT128_MAX },
      { payer: PAYEE, cumulativeBytes: 0n, paid: UINT128_MAX, cumulativeAmount: 7n }
    ]
    const packed = encodeBatchRecords(records)
    expect(packed.length).to.equal(2 + 2 * 60 * 2)
    expect(packed.slice(0, 2 + 56)).to.equal(wallet.address.toLowerCase() + 'ff'.repeat(8))
    expect(decodeBatchRecords(packed)).to.deep.equal(records.map(r => ({ ...r, payer: getAddress(r.payer) })))
    expect(() => decodeBatchRecords('0x01')).to.throw(RangeError)
  })

  it('packs reserve entries exactly as solidityPacked(address, uint128), 36 bytes each, and round-trips them (fixed seed)', () => {
    const arb = fc.record({
      payee: fc.uint8Array({ minLength: 20, maxLength: 20 }).map(b => getAddress(hexlify(b))),
      amount: fc.bigInt({ min: 0n, max: UINT128_MAX })
    })
    fc.assert(fc.property(fc.array(arb, { minLength: 1, maxLength: 8 }), entries => {
      const packed = encodeReserveEntries(entries)
      expect(packed).to.equal('0x' + entries.map(e => solidityPacked(['address', 'uint128'], [e.payee, e.amount]).slice(2)).join(''))
      expect(packed.length).to.equal(2 + 2 * RESERVE_ENTRY_SIZE * entries.length)
      expect(decodeReserveEntries(packed)).to.deep.equal(entries)
    }), { seed: 4242, numRuns: 200 })
    expect(() => decodeReserveEntries('0x' + '00'.repeat(35))).to.throw(RangeError)
  })

  it('refuses reserve batches that are empty, oversized, or hold an amount wider than uint128', () => {
    const one = { payee: PAYEE, amount: 1n }
    expect(() => encodeReserveEntries([])).to.throw(BatchSizeError)
    expect(() => encodeReserveEntries(Array.from({ length: MAX_BATCH_SIZE + 1 }, () => one))).to.throw(BatchSizeError)
    expect(encodeReserveEntries(Array.from({ length: MAX_BATCH_SIZE }, () => one))).to.have.length(2 + 2 * RESERVE_ENTRY_SIZE * MAX_BATCH_SIZE)
    expect(() => encodeReserveEntries([{ payee: PAYEE, amount: UINT128_MAX + 1n }])).to.throw(ValueOutOfRangeError, /amount/)
    expect(() => encodeReserveEntries([{ payee: PAYEE, amount: -1n }])).to.throw(ValueOutOfRangeError)
  })
})
