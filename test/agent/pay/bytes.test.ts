import { expect } from 'chai'
import fc from 'fast-check'
import { uintToBytes, bytesToUint, writeUint256, toAddress, addressToBytes, bytesToAddress } from '../../../agent/pay/bytes.ts'
import { InvalidAmountError } from '../../../agent/pay/errors.ts'

describe('byte helpers', () => {
  it('encode unsigned integers canonically: big-endian, no leading zero byte, zero is empty', () => {
    expect(uintToBytes(0n)).to.deep.equal(new Uint8Array(0))
    expect(Buffer.from(uintToBytes(255n)).toString('hex')).to.equal('ff')
    expect(Buffer.from(uintToBytes(256n)).toString('hex')).to.equal('0100')
    fc.assert(fc.property(fc.bigInt(0n, (1n << 256n) - 1n), v => {
      const b = uintToBytes(v)
      expect(b.length === 0 || b[0] !== 0).to.equal(true)
      expect(bytesToUint(b)).to.equal(v)
    }), { seed: 5, numRuns: 1000 })
  })

  it('write 32-byte words and refuse values that do not fit', () => {
    const out = new Uint8Array(32)
    writeUint256(out, 0, (1n << 256n) - 1n)
    expect(out.every(b => b === 0xff)).to.equal(true)
    expect(() => writeUint256(out, 0, 1n << 256n)).to.throw(InvalidAmountError)
    expect(() => uintToBytes(-1n)).to.throw(InvalidAmountError)
  })

  it('normalise addresses to lowercase 0x-hex and round-trip 20 bytes', () => {
    const a = toAddress('0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
    expect(a).to.equal('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
    expect(bytesToAddress(addressToBytes(a))).to.equal(a)
    expect(() => toAddress('0x1234')).to.throw(TypeError)
  })
})
