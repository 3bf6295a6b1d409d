import { expect } from 'chai'
import { join } from 'node:path'
import fc from 'fast-check'
import { makeFixture, sameFiles, engine, waitFor, type Fixture } from './fixtures.ts'
import { handshakeSocket, closesWithin, interestedAndUnchoked, msg, u32 } from './raw-peer.ts'
import type { TorrentEngine } from '../../../agent/swarm/index.ts'

describe('swarm engine: malformed peer messages close only that peer', function () {
  let fx: Fixture
  let seed: TorrentEngine
  const extra: TorrentEngine[] = []
  before(async () => {
    fx = await makeFixture({ data: 1024 * 1024 + 100 }, 32 * 1024)
    seed = engine(fx.meta, fx.seedDir)
    await seed.start()
  })
  after(async () => {
    await Promise.all(extra.map(async e => await e.stop()))
    await seed.stop()
    await fx.cleanup()
  })

  it('drops the sender of any malformed message (fuzzed, fixed seed) while a well-behaved connection stays open and a leecher still completes', async () => {
    const pieces = fx.meta.pieceCount
    const lastLen = fx.meta.lastPieceLength
    const observer = await handshakeSocket(seed.address, fx.meta.infoHash)
    const reasons: string[] = []
    seed.on('peer:close', ({ reason }) => reasons.push(reason))
    let runs = 0
    const bad = fc.oneof(
      fc.integer({ min: 9 + 128 * 1024 + 1, max: 0xffffffff }).map(n => ({ kind: 'oversized length', bytes: Buffer.concat([u32(n), Buffer.from([7, 0, 0])]), unchoke: false })),
      fc.tuple(fc.constantFrom(0, 1, 2, 3, 4, 6, 8, 9), fc.integer({ min: 0, max: 40 })).filter(([id, extraLen]) => !(extraLen === 0 && id <= 3))
        .map(([id, extraLen]) => ({ kind: `id ${id} with wrong length`, bytes: msg(id, Buffer.alloc(extraLen === ({ 4: 4, 6: 12, 8: 12, 9: 2 } as Record<number, number>)[id] ? extraLen + 1 : extraLen)), unchoke: false })),
      fc.integer({ min: 0, max: 64 }).filter(n => n !== Math.ceil(pieces / 8)).map(n => ({ kind: 'bitfield of wrong size', bytes: msg(5, Buffer.alloc(n, 0xff)), unchoke: false })),
      fc.constant({ kind: 'bitfield with spare bits', bytes: msg(5, Buffer.alloc(Math.ceil(pieces / 8), 0xff)), unchoke: false }),
      fc.integer({ min: pieces, max: 0xffffffff }).map(i => ({ kind: 'have out of range', bytes: msg(4, u32(i)), unchoke: false })),
      fc.oneof(
        fc.tuple(fc.integer({ min: pieces, max: 0xffffffff }), fc.constant(0), fc.constant(16384)),
        fc.tuple(fc.constant(pieces - 1), fc.integer({ min: lastLen - 16383, max: 0xffffff }), fc.constant(16384)),
        fc.tuple(fc.integer({ min: 0, max: pieces - 1 }), fc.constant(0), fc.constantFrom(0, 128 * 1024 + 1, 0xffffffff))
      ).map(([i, o, l]) => ({ kind: 'request out of range', bytes: msg(6, u32(i), u32(o), u32(l)), unchoke: true })),
      fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 16384 }))
        .map(([i, o, n]) => ({ kind: 'unrequested piece', bytes: msg(7, u32(i), u32(o), Buffer.alloc(n)), unchoke: false })),
      fc.constantFrom(13, 14, 15, 16, 17).map(id => ({ kind: `fast message ${id} without negotiation`, bytes: msg(id, Buffer.alloc(id === 14 || id === 15 ? 0 : id === 16 ? 12 : 4)), unchoke: false }))
    )
    await fc.assert(fc.asyncProperty(bad, async (m) => {
      runs++
      const s = await handshakeSocket(seed.address, fx.meta.infoHash)
      try {
        if (m.unchoke) await interestedAndUnchoked(s)
        s.write(m.bytes)
        return await closesWithin(s, 3000)
      } finally {
        s.destroy()
      }
    }), { seed: 424242, numRuns: 60 })
    expect(observer.destroyed, 'well-behaved connection still open').to.equal(false)
    // Every fuzzed connection was closed by the engine, with the violation named, not by the test's socket.
    expect(reasons.filter(r => r.startsWith('protocol violation: '))).to.have.length(runs)
    observer.destroy()
    const out = join(fx.root, 'leech')
    const leech = engine(fx.meta, out, { peers: [seed.address] })
    extra.push(leech)
    const done = waitFor(leech, 'done')
    await leech.start()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
  })
})
