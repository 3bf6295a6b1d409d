import { expect } from 'chai'
import bencode from 'bencode'
import { decodeMessage, encodeMessage, BEP10_FRAMING_BYTES, MAX_MESSAGE_BYTES, type HelloMessage, type ReceiptMessage } from '../../../agent/wire/messages.ts'
import { encode, decodeStrict, type BDict, type BValue } from '../../../agent/wire/bencode.ts'
import { ProtocolViolationError } from '../../../agent/wire/errors.ts'
import { NILE_CHAIN_ID } from '../../../agent/pay/receipt.ts'
import { MAX_RECEIPT_AMOUNT, MAX_RECEIPT_BYTES } from '../../../agent/pay/price.ts'

const sig = new Uint8Array(64).fill(0xab)
const proof = new Uint8Array(64).fill(0xcd)
const hello: HelloMessage = {
  t: 'hello',
  chainId: NILE_CHAIN_ID,
  escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  account: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
  pricePerMiB: 10n ** 15n,
  credit: 4n << 20n,
  proof,
  lane: 10n ** 18n,
  last: { bytes: 123456789n, amount: 10n ** 20n, sig }
}
const rcpt: ReceiptMessage = { t: 'rcpt', bytes: 1n << 30n, amount: 10n ** 18n, sig }

const raw = (s: string): Uint8Array => Buffer.from(s, 'latin1')
function expectViolation (buf: Uint8Array, code: string): void {
  expect(() => decodeMessage(buf)).to.throw(ProtocolViolationError).with.property('code', code)
}
/** `hello` re-encoded canonically after `edit` changed its dict: field-level faults, not bencode ones. */
function helloWith (edit: (d: Map<string, BValue>) => void): Uint8Array {
  const d = decodeStrict(encodeMessage(hello)) as BDict
  edit(d)
  return encode(d)
}
/** docs/protocol.md §8: the largest hello, with framing. */
const LARGEST_HELLO_FRAME = 382

describe('seedpay messages', () => {
  it('round-trip hello, rcpt and err', () => {
    expect(decodeMessage(encodeMessage(hello))).to.deep.equal(hello)
    const { last: _last, lane: _lane, ...bare } = hello
    expect(decodeMessage(encodeMessage(bare))).to.deep.equal(bare)
    expect(decodeMessage(encodeMessage(rcpt))).to.deep.equal(rcpt)
    expect(decodeMessage(encodeMessage({ t: 'err', code: 22, msg: 'stale receipt ✓' }))).to.deep.equal({ t: 'err', code: 22, msg: 'stale receipt ✓' })
  })

  it('writes bencode that the reference bencode package reads the same way', () => {
    const decoded = bencode.decode(encodeMessage(rcpt)) as Record<string, Uint8Array>
    expect(Buffer.from(decoded.t!).toString()).to.equal('rcpt')
    expect(Buffer.from(decoded.s!)).to.deep.equal(Buffer.from(sig))
    expect(Buffer.from(bencode.encode(decoded))).to.deep.equal(Buffer.from(encodeMessage(rcpt)))
  })

  it('encodes zero as the empty string and integers without leading zero bytes', () => {
    const zero = encodeMessage({ t: 'rcpt', bytes: 0n, amount: 0n, sig })
    expect(Buffer.from(zero).toString('latin1')).to.match(/^d1:a0:1:b0:1:s64:/)
    expectViolation(raw('d1:a1:\x001:b0:1:s64:' + 'x'.repeat(64) + '1:t4:rcpte'), 'non-canonical')
  })

  it('keeps the largest settleable receipt within 128 bytes including BEP 10 framing', () => {
    const max = encodeMessage({ t: 'rcpt', bytes: MAX_RECEIPT_BYTES, amount: MAX_RECEIPT_AMOUNT, sig })
    expect(max.length + BEP10_FRAMING_BYTES).to.be.at.most(128)
  })

  it('refuses receipts wider than settleBatch packs (uint64 bytes, uint128 amount)', () => {
    expect(() => encodeMessage({ t: 'rcpt', bytes: MAX_RECEIPT_BYTES + 1n, amount: 0n, sig })).not.to.throw()
    expectViolation(encodeMessage({ t: 'rcpt', bytes: MAX_RECEIPT_BYTES + 1n, amount: 0n, sig }), 'bad-field')
    expectViolation(encodeMessage({ t: 'rcpt', bytes: 0n, amount: MAX_RECEIPT_AMOUNT + 1n, sig }), 'bad-field')
  })

  it('round-trips a credit and refuses one wider than a byte count (uint64), non-canonical or with extra fields', () => {
    for (const credit of [0n, 1n, 4n * 1024n * 1024n, (1n << 64n) - 1n]) {
      expect(decodeMessage(encodeMessage({ t: 'credit', credit }))).to.deep.equal({ t: 'credit', credit })
    }
    expectViolation(encodeMessage({ t: 'credit', credit: 1n << 64n }), 'bad-field')
    expectViolation(raw('d6:credit2:\x00\x011:t6:credite'), 'non-canonical')
    expectViolation(raw('d6:crediti5e1:t6:credite'), 'bad-field')
    expectViolation(raw('d1:t6:credite'), 'bad-fields')
    expectViolation(raw('d6:credit1:\x011:t6:credit1:x0:e'), 'bad-fields')
  })

  it('refuses messages over 1 KiB', () => {
    expectViolation(raw('d3:msg1100:' + 'x'.repeat(1100) + 'e'), 'too-large')
  })

  it('refuses malformed and non-canonical bencode', () => {
    expectViolation(raw('d1:t4:rcpt'), 'bad-bencode')
    expectViolation(raw('d1:t-4:rcpte'), 'bad-bencode')
    expectViolation(raw('d1:t4:rcpte' + 'x'), 'bad-bencode')
    expectViolation(raw('d01:t4:rcpte'), 'bad-bencode')
    expectViolation(raw('d4:code i01e3:msg0:1:t3:erre'), 'bad-bencode')
    expectViolation(raw('d4:codei-0e3:msg0:1:t3:erre'), 'bad-bencode')
    expectViolation(raw('d1:tl4:rcptee'), 'bad-bencode')
    expectViolation(raw('d1:t4:rcpt1:a0:e'), 'non-canonical')
    expectViolation(raw('d1:a0:1:a0:e'), 'non-canonical')
  })

  it('refuses unknown types, missing or extra fields and wrong lengths', () => {
    expectViolation(raw('d1:t4:nopee'), 'unknown-type')
    expectViolation(raw('d1:ti1ee'), 'unknown-type')
    expectViolation(raw('le'), 'bad-bencode')
    expectViolation(raw('i1e'), 'bad-fields')
    expectViolation(raw('d1:a0:1:b0:1:t4:rcpte'), 'bad-fields')
    expectViolation(raw('d1:a0:1:b0:1:s64:' + 'x'.repeat(64) + '1:t4:rcpt1:x0:e'), 'bad-fields')
    expectViolation(raw('d1:a0:1:b0:1:s65:' + 'x'.repeat(65) + '1:t4:rcpte'), 'bad-field')
    expectViolation(raw('d1:a0:1:bi5e1:s64:' + 'x'.repeat(64) + '1:t4:rcpte'), 'bad-field')
  })

  it('refuses another protocol version, a v1 hello (which has no proof) included', () => {
    const text = Buffer.from(encodeMessage(hello)).toString('latin1').replace('1:vi3e', '1:vi4e')
    expectViolation(raw(text), 'bad-version')
    const v1 = helloWith(d => { d.delete('proof'); d.delete('lane'); d.set('v', 1) })
    expectViolation(v1, 'bad-version')
    expect(() => decodeMessage(v1)).to.throw(/version 1, we speak 3/)
    expectViolation(helloWith(d => { d.set('v', 2) }), 'bad-version')
    expectViolation(helloWith(d => { d.delete('v') }), 'bad-fields')
  })

  it('requires a 64-byte proof in every hello', () => {
    expectViolation(helloWith(d => { d.delete('proof') }), 'bad-fields')
    expectViolation(helloWith(d => { d.set('proof', new Uint8Array(63)) }), 'bad-field')
    expectViolation(helloWith(d => { d.set('proof', new Uint8Array(65)) }), 'bad-field')
    expectViolation(helloWith(d => { d.set('proof', new Uint8Array(0)) }), 'bad-field')
    expectViolation(helloWith(d => { d.set('proof', 7) }), 'bad-field')
  })

  it('reads lane as a canonical uint of at most 16 bytes, and writes no lane as no field', () => {
    expect(decodeMessage(helloWith(d => { d.set('lane', Uint8Array.of(0xff)) }))).to.have.property('lane', 255n)
    expect(decodeMessage(helloWith(d => { d.set('lane', new Uint8Array(16).fill(0xff)) }))).to.have.property('lane', (1n << 128n) - 1n)
    expectViolation(helloWith(d => { d.set('lane', Uint8Array.of(0, 0xff)) }), 'non-canonical')
    expectViolation(helloWith(d => { d.set('lane', new Uint8Array(0)) }), 'non-canonical')
    expectViolation(helloWith(d => { d.set('lane', new Uint8Array(17).fill(1)) }), 'bad-field')
    expectViolation(helloWith(d => { d.set('lane', 5) }), 'bad-field')
    const noLane = decodeStrict(encodeMessage({ ...hello, lane: 0n })) as BDict
    expect(noLane.has('lane')).to.equal(false)
    expect(decodeMessage(encodeMessage({ ...hello, lane: 0n }))).not.to.have.property('lane')
  })

  it('keeps the largest possible hello well within 1 KiB', () => {
    const max: HelloMessage = {
      ...hello, chainId: (1n << 256n) - 1n, pricePerMiB: (1n << 128n) - 1n, credit: (1n << 64n) - 1n, lane: (1n << 128n) - 1n,
      last: { bytes: MAX_RECEIPT_BYTES, amount: MAX_RECEIPT_AMOUNT, sig }
    }
    const bytes = encodeMessage(max)
    expect(decodeMessage(bytes)).to.deep.equal(max)
    expect(bytes.length + BEP10_FRAMING_BYTES).to.equal(LARGEST_HELLO_FRAME)
    expect(bytes.length).to.be.below(MAX_MESSAGE_BYTES / 2)
  })

  it('refuses an err whose msg is not UTF-8', () => {
    expectViolation(raw('d4:codei1e3:msg1:\xff1:t3:erre'), 'bad-field')
  })
})
