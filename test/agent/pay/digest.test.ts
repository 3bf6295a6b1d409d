import { expect } from 'chai'
import fc from 'fast-check'
import { getBytes, hexlify } from 'ethers'
import { ReceiptHasher } from '../../../agent/pay/digest.ts'
import { receiptDigest, receiptDomainSeparator } from '../../../agent/pay/receipt.ts'
import { bytesToAddress } from '../../../agent/pay/bytes.ts'
import { DOMAIN } from './fixtures.ts'

const address = fc.uint8Array({ minLength: 20, maxLength: 20 })
const uint256 = fc.bigInt(0n, (1n << 256n) - 1n)

describe('ReceiptHasher', () => {
  it('precomputes the same domain separator as ethers', () => {
    expect(new ReceiptHasher(DOMAIN).domainSeparator).to.equal(receiptDomainSeparator(DOMAIN))
  })

  it('equals the typed-data digest of receipt.ts for random receipts (fixed seed)', () => {
    const hasher = new ReceiptHasher(DOMAIN)
    fc.assert(fc.property(address, address, uint256, uint256, (payer, payee, bytes, amount) => {
      const fast = hexlify(hasher.digest(payer, payee, bytes, amount))
      const slow = receiptDigest(DOMAIN, { payer: bytesToAddress(payer), payee: bytesToAddress(payee), cumulativeBytes: bytes, cumulativeAmount: amount })
      expect(fast).to.equal(slow)
    }), { seed: 7, numRuns: 1000 })
  })

  it('depends on chain id and escrow', () => {
    const p = getBytes('0x' + '11'.repeat(20))
    const a = new ReceiptHasher(DOMAIN).digest(p, p, 1n, 1n)
    const b = new ReceiptHasher({ ...DOMAIN, chainId: 1n }).digest(p, p, 1n, 1n)
    const c = new ReceiptHasher({ ...DOMAIN, escrow: '0x' + '22'.repeat(20) }).digest(p, p, 1n, 1n)
    expect(hexlify(a)).not.to.equal(hexlify(b))
    expect(hexlify(a)).not.to.equal(hexlify(c))
  })
})
