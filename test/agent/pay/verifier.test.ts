import { expect } from 'chai'
import { Signature, Wallet, getBytes, toBeHex } from 'ethers'
import { receiptDomain, RECEIPT_TYPES, receiptMessage } from '../../../agent/pay/receipt.ts'
import { addressToBytes } from '../../../agent/pay/bytes.ts'
import { InvalidSignatureError, UnauthorisedSignerError } from '../../../agent/pay/errors.ts'
import { DOMAIN, PAYER_KEY, payer, payee, payerSigner, otherSigner, verifierFor } from './fixtures.ts'

function sign (signer = payerSigner, bytes = 1000n, amount = 7n, domain = DOMAIN): Uint8Array {
  const v = verifierFor(domain)
  return signer.signDigest(v.hasher.digest(addressToBytes(payer), addressToBytes(payee), bytes, amount))
}

describe('HotKeySigner and ReceiptVerifier', () => {
  it('signs exactly what ethers signTypedData signs, in EIP-2098 compact form', async () => {
    const wallet = new Wallet(PAYER_KEY)
    const full = await wallet.signTypedData(receiptDomain(DOMAIN), { Receipt: [...RECEIPT_TYPES.Receipt] },
      receiptMessage({ payer, payee, cumulativeBytes: 1000n, cumulativeAmount: 7n }))
    expect(Signature.from(full).compactSerialized).to.equal('0x' + Buffer.from(sign()).toString('hex'))
  })

  it('recovers the payer from its own signature', () => {
    expect(verifierFor().verify(payer, payee, 1000n, 7n, sign())).to.equal(payer)
  })

  it('accepts a signer the payer registered', () => {
    const v = verifierFor(DOMAIN, { [payer]: [otherSigner.address] })
    expect(v.verify(payer, payee, 1000n, 7n, sign(otherSigner))).to.equal(otherSigner.address)
  })

  it('refuses with UnauthorisedSignerError a receipt signed by another key (forged)', () => {
    expect(() => verifierFor().verify(payer, payee, 1000n, 7n, sign(otherSigner))).to.throw(UnauthorisedSignerError)
  })

  it('refuses a receipt signed for another escrow or chain (replay across domains)', () => {
    const otherEscrow = sign(payerSigner, 1000n, 7n, { ...DOMAIN, escrow: '0x' + '33'.repeat(20) })
    const otherChain = sign(payerSigner, 1000n, 7n, { ...DOMAIN, chainId: 1n })
    expect(() => verifierFor().verify(payer, payee, 1000n, 7n, otherEscrow)).to.throw(UnauthorisedSignerError)
    expect(() => verifierFor().verify(payer, payee, 1000n, 7n, otherChain)).to.throw(UnauthorisedSignerError)
  })

  it('refuses a receipt whose values were changed after signing', () => {
    expect(() => verifierFor().verify(payer, payee, 1001n, 7n, sign())).to.throw(UnauthorisedSignerError)
  })

  it('refuses an s in the upper half of the curve order (malleable) as the contract does', () => {
    const sig = sign()
    const highS = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a1n
    sig.set(getBytes(toBeHex(highS, 32)), 32)
    expect(() => verifierFor().verify(payer, payee, 1000n, 7n, sig)).to.throw(InvalidSignatureError, /upper half/)
  })

  it('refuses signatures of the wrong length or with r = 0', () => {
    expect(() => verifierFor().verify(payer, payee, 1000n, 7n, new Uint8Array(65))).to.throw(InvalidSignatureError)
    expect(() => verifierFor().verify(payer, payee, 1000n, 7n, new Uint8Array(64))).to.throw(InvalidSignatureError)
  })
})
