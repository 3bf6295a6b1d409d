/**
 * A peer may ask twice for one block: it gave the first request back when we choked it, and the first was
 * already on its way when we unchoked it again. bittorrent-protocol answers a request only if it is the first
 * of its list matching (index, offset, length), and reorders that list on every removal: both answers were
 * dropped, counted as served, and the peer waited out its own timeout (5 s stalls in bench:paid; a paying
 * peer's debt grew by every dropped block until it was never unchoked again). Real engine, real TCP.
 */
import { expect } from 'chai'
import type { Socket } from 'node:net'
import { makeFixture, engine, type Fixture } from './fixtures.ts'
import { handshakeSocket, interestedAndUnchoked, msg, u32 } from './raw-peer.ts'
import type { TorrentEngine } from '../../../agent/swarm/index.ts'

const BLOCK = 16 * 1024

/** Collects the piece messages (index, offset, payload) the socket receives from now on. */
function collectPieces (socket: Socket): Array<{ index: number, offset: number, data: Buffer }> {
  const got: Array<{ index: number, offset: number, data: Buffer }> = []
  let buf = Buffer.alloc(0)
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d])
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0)
      if (buf.length < 4 + len) break
      if (len > 9 && buf[4] === 7) got.push({ index: buf.readUInt32BE(5), offset: buf.readUInt32BE(9), data: Buffer.from(buf.subarray(13, 4 + len)) })
      buf = buf.subarray(4 + len)
    }
  })
  return got
}

describe('swarm engine: a block asked for twice is answered twice', function () {
  let fx: Fixture
  let seed: TorrentEngine
  before(async () => {
    fx = await makeFixture({ data: 256 * 1024 }, 64 * 1024)
    seed = engine(fx.meta, fx.seedDir)
    await seed.start()
  })
  after(async () => {
    await seed.stop()
    await fx.cleanup()
  })

  it('answers every request, the repeated one included, with the right bytes', async () => {
    const socket = await handshakeSocket(seed.address, fx.meta.infoHash)
    await interestedAndUnchoked(socket)
    const got = collectPieces(socket)
    const req = (offset: number): Buffer => msg(6, u32(0), u32(offset), u32(BLOCK))
    // A, X, B, X in one piece: answering A moved the second X ahead of the first in the library's list
    socket.write(Buffer.concat([req(0), req(BLOCK), req(2 * BLOCK), req(BLOCK)]))
    const deadline = Date.now() + 5_000
    while (got.length < 4 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    socket.destroy()
    expect(got.map(p => p.offset).sort((a, b) => a - b)).to.deep.equal([0, BLOCK, BLOCK, 2 * BLOCK])
    const file = fx.files.get('data')!
    for (const p of got) expect(p.data.equals(file.subarray(p.offset, p.offset + BLOCK))).to.equal(true)
  })
})
