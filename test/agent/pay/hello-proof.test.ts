import { expect } from 'chai'
import { AbiCoder, Signature, TypedDataEncoder, Wallet, concat, getAddress, getBytes, keccak256, toBeHex, toUtf8Bytes, zeroPadBytes } from 'ethers'
import {
  HELLO_TYPE_STRING, HELLO_TYPEHASH, HelloProver, helloProofDigest, recoverHelloProof, signHelloProof, verifyHelloProof,
  type HelloProofFields
} from '../../../agent/pay/hello-proof.ts'
import { recoverDigest } from '../../../agent/pay/verifier.ts'
import { receiptDigest, receiptDomainSeparator } from '../../../agent/pay/receipt.ts'
import { InvalidHelloProofError } from '../../../agent/pay/errors.ts'
import { DOMAIN, PAYER_KEY, payer, payee, payerSigner, otherSigner } from './fixtures.ts'

const fields: HelloProofFields = {
  account: payer,
  sender: '2d5350303130302d' + 'aa'.repeat(12),
  receiver: '2d5154343630302d' + 'bb'.repeat(12),
  infoHash: 'c0ffee'.padEnd(40, '1')
}
const prove = (over: Partial<HelloProofFields> = {}, signer = payerSigner, domain = DOMAIN): Uint8Array =>
  signHelloProof(signer, domain, { ...fields, ...over })

describe('hello proof', () => {
  it('has the type hash of its type string', () => {
    expect(HELLO_TYPE_STRING).to.equal('Hello(address account,bytes20 sender,bytes20 receiver,bytes20 infoHash)')
    expect(HELLO_TYPEHASH).to.equal(keccak256(toUtf8Bytes(HELLO_TYPE_STRING)))
  })

  it('hashes exactly what an independent TypedDataEncoder.hash and a hand-written EIP-712 encoding give', () => {
    const domain = { name: 'seedpay', version: '1', chainId: DOMAIN.chainId, verifyingContract: getAddress(DOMAIN.escrow) }
    const types = { Hello: [{ name: 'account', type: 'address' }, { name: 'sender', type: 'bytes20' }, { name: 'receiver', type: 'bytes20' }, { name: 'infoHash', type: 'bytes20' }] }
    const message = { account: getAddress(payer), sender: '0x' + fields.sender, receiver: '0x' + fields.receiver, infoHash: '0x' + fields.infoHash }
    const ours = '0x' + Buffer.from(helloProofDigest(DOMAIN, fields)).toString('hex')
    expect(ours).to.equal(TypedDataEncoder.hash(domain, types, message))
    // EIP-712 encodeData: an address is left-padded to 32 bytes, a bytes20 right-padded
    const struct = keccak256(concat([
      HELLO_TYPEHASH, AbiCoder.defaultAbiCoder().encode(['address'], [payer]),
      zeroPadBytes('0x' + fields.sender, 32), zeroPadBytes('0x' + fields.receiver, 32), zeroPadBytes('0x' + fields.infoHash, 32)
    ]))
    expect(ours).to.equal(keccak256(concat(['0x1901', receiptDomainSeparator(DOMAIN), struct])))
  })

  it('signs what ethers signTypedData signs, in EIP-2098 compact form, and recovers the signer', async () => {
    const proof = prove()
    expect(proof).to.have.length(64)
    const full = await new Wallet(PAYER_KEY).signTypedData(
      { name: 'seedpay', version: '1', chainId: DOMAIN.chainId, verifyingContract: DOMAIN.escrow },
      { Hello: [{ name: 'account', type: 'address' }, { name: 'sender', type: 'bytes20' }, { name: 'receiver', type: 'bytes20' }, { name: 'infoHash', type: 'bytes20' }] },
      { account: payer, sender: '0x' + fields.sender, receiver: '0x' + fields.receiver, infoHash: '0x' + fields.infoHash })
    expect(Signature.from(full).compactSerialized).to.equal('0x' + Buffer.from(proof).toString('hex'))
    expect(recoverHelloProof(DOMAIN, fields, proof)).to.equal(payer)
    expect(verifyHelloProof(DOMAIN, fields, proof)).to.equal(payer)
  })

  it('reads peer ids and info hashes with or without 0x, in any case', () => {
    const upper = { ...fields, sender: '0x' + fields.sender.toUpperCase(), infoHash: '0x' + fields.infoHash }
    expect(helloProofDigest(DOMAIN, upper)).to.deep.equal(helloProofDigest(DOMAIN, fields))
    expect(() => helloProofDigest(DOMAIN, { ...fields, sender: 'ab'.repeat(19) })).to.throw(TypeError, /sender/)
    expect(() => helloProofDigest(DOMAIN, { ...fields, infoHash: 'zz'.repeat(20) })).to.throw(TypeError, /infoHash/)
  })

  const elsewhere: Array<[string, Partial<HelloProofFields>, typeof DOMAIN]> = [
    ['another account', { account: payee }, DOMAIN],
    ['another sender id', { sender: 'cc'.repeat(20) }, DOMAIN],
    ['another receiver id', { receiver: 'cc'.repeat(20) }, DOMAIN],
    ['the ids swapped (the peer\'s own proof sent back)', { sender: fields.receiver, receiver: fields.sender }, DOMAIN],
    ['another info hash', { infoHash: 'dd'.repeat(20) }, DOMAIN],
    ['another escrow', {}, { ...DOMAIN, escrow: '0x' + '33'.repeat(20) }],
    ['another chain', {}, { ...DOMAIN, chainId: 1n }]
  ]
  for (const [name, over, domain] of elsewhere) {
    it(`recovers someone else from a proof made for ${name}, so it is refused`, () => {
      const proof = prove(over, payerSigner, domain)
      const recovered = recoverHelloProof(DOMAIN, fields, proof)
      expect(recovered).not.to.equal(payer)
      expect(() => verifyHelloProof(DOMAIN, fields, proof)).to.throw(InvalidHelloProofError)
        .that.includes({ account: payer, recovered })
    })
  }

  it('accepts the account\'s registered signer and refuses any other key', () => {
    const byHot = prove({}, otherSigner)
    const signers = { signersOf: (a: string) => (a === payer ? [otherSigner.address] : []) }
    expect(verifyHelloProof(DOMAIN, fields, byHot, signers)).to.equal(otherSigner.address)
    expect(() => verifyHelloProof(DOMAIN, fields, byHot)).to.throw(InvalidHelloProofError, /neither the account nor its registered signer/)
      .that.includes({ recovered: otherSigner.address })
    // the hot key of one account does not speak for another
    expect(() => verifyHelloProof(DOMAIN, { ...fields, account: payee }, prove({ account: payee }, otherSigner), signers)).to.throw(InvalidHelloProofError)
  })

  it('refuses an s in the upper half of the curve order, and a proof no key recovers', () => {
    const proof = prove()
    proof.set(getBytes(toBeHex(0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a1n, 32)), 32)
    expect(() => recoverHelloProof(DOMAIN, fields, proof)).to.throw(InvalidHelloProofError, /upper half/).that.includes({ recovered: null })
    expect(() => recoverHelloProof(DOMAIN, fields, new Uint8Array(64))).to.throw(InvalidHelloProofError, /malformed/)
    expect(() => recoverHelloProof(DOMAIN, fields, new Uint8Array(65))).to.throw(InvalidHelloProofError, /length 65/)
  })

  it('is never a receipt: the same key signing a receipt gives a signature that proves nothing', () => {
    const receipt = getBytes(receiptDigest(DOMAIN, { payer, payee, cumulativeBytes: 1n, cumulativeAmount: 1n }))
    const sig = payerSigner.signDigest(receipt)
    expect(recoverDigest(receipt, sig)).to.equal(payer)
    expect(recoverHelloProof(DOMAIN, fields, sig)).not.to.equal(payer)
  })

  it('HelloProver signs ours and verifies the peer\'s with the directory it was given', () => {
    const signers = { signersOf: (a: string) => (a === payer ? [otherSigner.address] : []) }
    const ours = new HelloProver({ signer: otherSigner }, { domain: DOMAIN })
    const theirs = new HelloProver({ signer: payerSigner, signers }, { domain: DOMAIN })
    const proof = ours.prove(fields)
    expect(theirs.verify(fields, proof)).to.equal(otherSigner.address)
    expect(() => new HelloProver({ signer: payerSigner }, { domain: DOMAIN }).verify(fields, proof)).to.throw(InvalidHelloProofError)
  })
})
