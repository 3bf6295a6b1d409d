/**
 * A block asked for three times (asked, choked — given back —, asked again, choked again, asked a third time)
 * may be answered three times: BEP 3 lets a peer send what it had read before it choked, and our own uploader does.
 * Every copy is a late answer to a request we sent, not a protocol violation. The downloader used to remember a
 * given-back request as a yes/no, so the third copy closed the connection ("unrequested block"), which in a
 * swarm of agents dropped good peers during every endgame. Real engine, real TCP, a scripted seed.
 */
import { expect } from 'chai'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import Wire from 'bittorrent-protocol'
import { makeFixture, engine, waitFor, sameFiles } from './fixtures.ts'
import { fullBitfield, rawPeerId } from './raw-peer.ts'

const BLOCK = 16 * 1024

describe('swarm engine: late answers to requests given back and asked again', function () {
  it('takes every copy of a block asked for three times, keeps the peer, and completes', async () => {
    const fx = await makeFixture({ data: 2 * BLOCK }, 2 * BLOCK)
    const data = fx.files.get('data')!
    const sockets = new Set<Socket>()
    let done!: () => void
    const scripted = new Promise<void>(resolve => { done = resolve })
    const server: Server = createServer(socket => {
      sockets.add(socket)
      socket.on('error', () => {})
      const wire = new Wire('tcpIncoming')
      socket.pipe(wire as unknown as NodeJS.WritableStream)
      wire.pipe(socket)
      wire.on('error', () => {})
      let asked = 0
      wire.on('handshake', () => {
        wire.handshake(fx.meta.infoHash, rawPeerId(), { dht: false, fast: false })
        wire.bitfield(fullBitfield(fx.meta.pieceCount))
        wire.unchoke()
      })
      wire.on('request', (index: number, offset: number) => {
        if (index !== 0 || offset !== 0) return
        asked++
        if (asked < 3) {
          // give it back, then let the leecher ask again
          wire.choke()
          setTimeout(() => wire.unchoke(), 30)
          return
        }
        // asked a third time: every copy arrives, then the other block
        for (let i = 0; i < 3; i++) wire.piece(0, 0, data.subarray(0, BLOCK))
        wire.piece(0, BLOCK, data.subarray(BLOCK, 2 * BLOCK))
        done()
      })
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const addr = server.address()
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0
    const leech = engine(fx.meta, join(fx.root, 'leech'), { peers: [`127.0.0.1:${port}`], seed: true })
    const closes: string[] = []
    leech.on('peer:close', e => closes.push(e.reason))
    try {
      const finished = waitFor(leech, 'done', 10_000)
      await leech.start()
      await scripted
      await finished
      await new Promise(resolve => setTimeout(resolve, 100)) // the copies after the first are handled too
      // once done, a leecher drops a peer that only seeds ("both seeding"); never for a violation
      expect(closes.filter(r => /violation|banned/.test(r))).to.deep.equal([])
      expect(await sameFiles(fx, join(fx.root, 'leech'))).to.equal(true)
    } finally {
      await leech.stop()
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
      await fx.cleanup()
    }
  })
})
