/**
 * Endgame duplicates go only to a peer whose own queue has run low, a few at a time (agent/swarm/downloader.ts
 * ENDGAME_QUEUE). Real engine, real TCP, two scripted seeds: B is asked for every block and sits on them; A joins
 * with nothing new to offer, so all it can be asked for are duplicates of B's blocks. Handing every free slot of A's
 * queue to duplicates (the old rule) asked A for all 16 blocks at once; in a swarm that made 5–8 % of what a
 * leecher received duplicates.
 */
import { expect } from 'chai'
import { join } from 'node:path'
import { makeFixture, engine } from './fixtures.ts'
import { startRawSeed } from './raw-peer.ts'

const BLOCK = 16 * 1024

async function until (cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

describe('swarm engine: endgame duplicates', function () {
  it('asks a peer with an empty queue for at most 8 blocks already asked of another peer, not for all of them', async () => {
    const fx = await makeFixture({ data: 16 * BLOCK }, 4 * BLOCK)
    const holdsEverything = await startRawSeed(fx.meta, () => null)
    const late = await startRawSeed(fx.meta, () => null)
    const leech = engine(fx.meta, join(fx.root, 'leech'), { peers: [holdsEverything.address] })
    try {
      await leech.start()
      await until(() => holdsEverything.requests() === 16, 10_000, 'the first seed to be asked for every block')
      leech.addPeer(late.address)
      await until(() => late.requests() > 0, 10_000, 'the second seed to be asked for duplicates')
      await new Promise(resolve => setTimeout(resolve, 500))
      expect(late.requests()).to.equal(8)
    } finally {
      await leech.stop()
      await holdsEverything.close()
      await late.close()
      await fx.cleanup()
    }
  })
})
