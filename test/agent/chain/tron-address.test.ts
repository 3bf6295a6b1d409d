import { expect } from 'chai'
import fc from 'fast-check'
import { TronWeb } from 'tronweb'
import { getAddress, hexlify } from 'ethers'
import { toEvmAddress, toTronAddress, toTronHex, isTronAddress } from '../../../agent/chain/tron-address.ts'
import { InvalidAddressError } from '../../../agent/chain/errors.ts'

/** Published addresses: BTT and USDT (TRC-20, mainnet) and TRON's zero address. */
const VECTORS: Array<[string, string]> = [
  ['TAFjULxiVgT4qWk6UZwjqwZXTSaGaqnVp4', '0x032017411f4663b317fe77c257d28d5cd1b26e3d'],
  ['TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', '0xa614f803b6fd780986a42c78ec9c7f77e6ded13c'],
  ['T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb', '0x0000000000000000000000000000000000000000']
]

describe('TRON addresses', () => {
  it('converts known base58 addresses to hex and back', () => {
    for (const [base58, hex] of VECTORS) {
      expect(toEvmAddress(base58)).to.equal(getAddress(hex))
      expect(toTronAddress(hex)).to.equal(base58)
      expect(toTronHex(base58)).to.equal('41' + hex.slice(2))
    }
  })

  it('accepts 41-hex, 0x41-hex and 0x-hex for the same address', () => {
    const [base58, hex] = VECTORS[0]!
    for (const form of [base58, '41' + hex.slice(2), '0x41' + hex.slice(2), hex, getAddress(hex), hex.toUpperCase().replace('0X', '0x')]) {
      expect(toEvmAddress(form), form).to.equal(getAddress(hex))
    }
  })

  it('rejects a bad checksum, a wrong prefix, wrong lengths and a bad EIP-55 checksum', () => {
    const bad = [
      'TAFjULxiVgT4qWk6UZwjqwZXTSaGaqnVp5', // last char changed: checksum fails
      '1AFjULxiVgT4qWk6UZwjqwZXTSaGaqnVp4',
      'TAFjULxiVgT4qWk6UZwjqwZXTSaGaqnVp',
      '0x032017411f4663b317fe77c257d28d5cd1b26e',
      '0x032017411F4663b317fe77c257d28d5cd1b26e3d', // mixed case, wrong EIP-55
      '42032017411f4663b317fe77c257d28d5cd1b26e3d',
      ''
    ]
    for (const a of bad) {
      expect(() => toEvmAddress(a), a).to.throw(InvalidAddressError)
      expect(isTronAddress(a)).to.equal(false)
    }
  })

  it('agrees with tronweb on random addresses (fixed seed)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), bytes => {
      const hex = hexlify(bytes)
      const base58 = toTronAddress(hex)
      expect(base58).to.equal(TronWeb.address.fromHex('41' + hex.slice(2)))
      expect(toEvmAddress(base58)).to.equal(getAddress(hex))
      expect(TronWeb.isAddress(base58)).to.equal(true)
    }), { seed: 20261125, numRuns: 300 })
  })
})
