/**
 * Connection limits: a seed with the default limit holds a crowd of 200 peers that dial at once (libtorrent's
 * default connections_limit; bench:swarm-many's 200-connection shape), and refuses the connection past it.
 */
import { expect } from 'chai'
import type { Socket } from 'node:net'
import type { TorrentEngine } from '../../../agent/swarm/index.ts'
import { engine, makeFixture, type Fixture } from './fixtures.ts'
import { handshakeSocket } from './raw-peer.ts'

async function until (ok: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

describe('engine connection limits', function () {
  this.timeout(60_000)
  let fx: Fixture | undefined
  let seed: TorrentEngine | undefined
  const sockets: Socket[] = []
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    await seed?.stop()
    await fx?.cleanup()
  })

  it('holds 200 peers that dial at once with the default limit, and refuses the 201st', async () => {
    fx = await makeFixture({ data: 256 * 1024 }, 32 * 1024)
    seed = engine(fx.meta, fx.seedDir)
    await seed.start()
    const crowd = await Promise.allSettled(Array.from({ length: 200 }, async () => await handshakeSocket(seed!.address, fx!.meta.infoHash)))
    for (const r of crowd) if (r.status === 'fulfilled') sockets.push(r.value)
    expect(crowd.filter(r => r.status === 'rejected')).to.deep.equal([])
    // the seed sends its handshake first: the last ones it reads may still be on their way
    await until(() => seed!.stats().peers === 200)
    const refused = await handshakeSocket(seed.address, fx.meta.infoHash).then(s => { sockets.push(s); return false }, () => true)
    expect(refused, 'the 201st connection is refused').to.equal(true)
    expect(seed.stats().peers).to.equal(200)
  })
})
