import { expect } from 'chai'
import fc from 'fast-check'
import { FrameReader } from '../../../agent/swarm/frame-reader.ts'

const frame = (id: number, body: Buffer): Buffer => {
  const b = Buffer.alloc(5 + body.length)
  b.writeUInt32BE(1 + body.length, 0)
  b[4] = id
  body.copy(b, 5)
  return b
}
const keepAlive = Buffer.alloc(4)
const piece = (index: number, offset: number, block: Buffer): Buffer => {
  const h = Buffer.alloc(8)
  h.writeUInt32BE(index, 0)
  h.writeUInt32BE(offset, 4)
  return frame(7, Buffer.concat([h, block]))
}

describe('FrameReader', function () {
  it('splits any chunking of valid frames into the same pieces and pass-through bytes (property, fixed seed)', () => {
    const msg = fc.oneof(
      fc.constant({ bytes: keepAlive, piece: null }),
      fc.constantFrom(0, 1, 2, 3).map(id => ({ bytes: frame(id, Buffer.alloc(0)), piece: null })),
      fc.nat(1000).map(i => { const b = Buffer.alloc(4); b.writeUInt32BE(i); return { bytes: frame(4, b), piece: null } }),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map(u => ({ bytes: frame(20, Buffer.from(u)), piece: null })),
      fc.tuple(fc.nat(1000), fc.nat(100), fc.uint8Array({ minLength: 0, maxLength: 20_000 }))
        .map(([i, o, u]) => ({ bytes: piece(i, o * 16384, Buffer.from(u)), piece: { i, o: o * 16384, block: Buffer.from(u) } }))
    )
    fc.assert(fc.property(fc.array(msg, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 20 }), (msgs, cuts) => {
      const handshake = Buffer.alloc(68, 1)
      const stream = Buffer.concat([handshake, ...msgs.map(m => m.bytes)])
      const passed: Buffer[] = []
      const pieces: Array<{ i: number, o: number, block: Buffer }> = []
      const r = new FrameReader({ passThrough: b => passed.push(Buffer.from(b)), piece: (i, o, block) => pieces.push({ i, o, block: Buffer.from(block) }) })
      let pos = 0
      let k = 0
      while (pos < stream.length) {
        const size = cuts[k++ % cuts.length]!
        expect(r.feed(stream.subarray(pos, pos + size))).to.equal(null)
        pos += size
      }
      expect(Buffer.concat(passed).equals(Buffer.concat([handshake, ...msgs.filter(m => m.piece === null).map(m => m.bytes)]))).to.equal(true)
      expect(pieces).to.deep.equal(msgs.filter(m => m.piece !== null).map(m => m.piece))
    }), { seed: 20261125, numRuns: 300 })
  })

  it('rejects an oversized length as soon as the prefix arrives, even split across chunks', () => {
    const r = new FrameReader({ passThrough: () => {}, piece: () => {} })
    expect(r.feed(Buffer.alloc(68))).to.equal(null)
    expect(r.feed(Buffer.from([0x00, 0x10]))).to.equal(null)
    expect(r.feed(Buffer.from([0x00, 0x00]))).to.match(/exceeds/)
  })
})
