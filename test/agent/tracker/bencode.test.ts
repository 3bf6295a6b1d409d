import { expect } from 'chai'
import fc from 'fast-check'
import bencode from 'bencode'
import { bdecode, BencodeError, type BValue } from '../../../agent/swarm/tracker/index.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const SEED = 0x5eed

describe('tracker bencode decoder', () => {
  it('decodes integers, strings, lists and dictionaries', () => {
    expect(bdecode(enc('i42e'))).to.equal(42)
    expect(bdecode(enc('i-7e'))).to.equal(-7)
    expect(bdecode(enc('i0e'))).to.equal(0)
    expect(Buffer.from(bdecode(enc('4:spam')) as Uint8Array).toString()).to.equal('spam')
    const d = bdecode(enc('d3:bari1e3:fool1:aee')) as Record<string, BValue>
    expect(d.bar).to.equal(1)
    expect(Array.isArray(d.foo)).to.equal(true)
  })

  it('keeps binary dictionary keys byte for byte', () => {
    const key = Buffer.from([0x80, 0x9f, 0xff, 0x00, 0x41])
    const buf = Buffer.concat([Buffer.from('d5:'), key, Buffer.from('i1ee')])
    const d = bdecode(buf) as Record<string, BValue>
    expect(Buffer.from(Object.keys(d)[0] ?? '', 'latin1').equals(key)).to.equal(true)
  })

  const bad: Array<[string, string]> = [
    ['i03e', 'leading zero'], ['i-0e', 'negative zero'], ['ie', 'empty integer'], ['i1', 'unterminated integer'],
    ['i1x2e', 'non-digit'], ['-3:abc', 'negative length'], ['03:abc', 'leading zero length'], ['5:abc', 'short string'],
    ['l', 'unterminated list'], ['d3:fooe', 'key without value'], ['di1ei2ee', 'integer key'],
    ['d1:ai1e1:ai2ee', 'duplicate key'], ['i1ei2e', 'trailing data'], ['', 'empty input'], ['x', 'unknown type'],
    ['i99999999999999999e', 'too long'], ['l'.repeat(40) + 'e'.repeat(40), 'too deep']
  ]
  for (const [input, why] of bad) {
    it(`rejects ${why} (${JSON.stringify(input.slice(0, 20))}) with BencodeError`, () => {
      expect(() => bdecode(enc(input))).to.throw(BencodeError)
    })
  }

  it('accepts unsorted dictionary keys (deployed trackers send them)', () => {
    const d = bdecode(enc('d1:bi1e1:ai2ee')) as Record<string, BValue>
    expect(d.a).to.equal(2)
  })

  it('round-trips everything the bencode package encodes (property, fixed seed)', () => {
    const leaf = fc.oneof(fc.integer({ min: -1e12, max: 1e12 }), fc.uint8Array({ maxLength: 40 }))
    const value = fc.letrec<{ v: unknown }>(tie => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 5 }),
        fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 5 }))
    })).v
    fc.assert(fc.property(value, v => {
      const buf = bencode.encode(v)
      const back = bdecode(buf)
      expect(Buffer.from(bencode.encode(back)).equals(Buffer.from(buf))).to.equal(true)
    }), { seed: SEED, numRuns: 500 })
  })

  it('throws only BencodeError on arbitrary bytes (fuzz, fixed seed)', () => {
    const chunk = fc.oneof(fc.constantFrom('d', 'l', 'i', 'e', ':', '-', '0', '1', '9', '4:spam', 'i12e'), fc.string({ maxLength: 3 }))
    const input = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.array(chunk, { maxLength: 30 }).map(a => enc(a.join(''))))
    fc.assert(fc.property(input, buf => {
      try { bdecode(buf) } catch (err) { expect(err).to.be.instanceOf(BencodeError) }
    }), { seed: SEED, numRuns: 3000 })
  })
})
