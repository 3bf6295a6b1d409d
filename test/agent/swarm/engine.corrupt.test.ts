import { expect } from 'chai'
import { join } from 'node:path'
import { makeFixture, sameFiles, engine, waitFor, type Fixture } from './fixtures.ts'
import { startCorruptSeed } from './raw-peer.ts'
import type { TorrentEngine } from '../../../agent/swarm/index.ts'

describe('swarm engine: corrupt data', function () {
  let fx: Fixture | undefined
  const engines: TorrentEngine[] = []
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    for (const c of closers.splice(0)) await c()
    await fx?.cleanup()
  })

  it('bans a peer that serves corrupt blocks, counts none of its bytes, and still completes with the right data', async () => {
    fx = await makeFixture({ data: 2 * 1024 * 1024 }, 32 * 1024)
    const bad = await startCorruptSeed(fx.meta)
    closers.push(bad.close)
    const seed = engine(fx.meta, fx.seedDir)
    engines.push(seed)
    await seed.start()
    const out = join(fx.root, 'leech')
    const leech = engine(fx.meta, out, { peers: [bad.address, seed.address] })
    engines.push(leech)
    const banned: string[] = []
    const corrupt: string[][] = []
    const credited = new Map<string, number>()
    leech.on('peer:banned', ({ address }) => banned.push(address))
    leech.on('piece:corrupt', ({ senders }) => corrupt.push(senders))
    leech.on('piece:verified', ({ bytesByPeer }) => { for (const [id, n] of bytesByPeer) credited.set(id, (credited.get(id) ?? 0) + n) })
    // Well under the 30 s request timeout: blocks re-requested after a cancel must be answered at once.
    const done = waitFor(leech, 'done', 15_000)
    await leech.start()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
    expect(bad.requests(), 'the corrupt peer was asked for blocks').to.be.greaterThan(0)
    expect(banned).to.deep.equal([bad.address])
    expect(corrupt.length).to.be.greaterThanOrEqual(3)
    expect(corrupt.every(s => !s.includes(seed.peerId)), 'honest seed never blamed').to.equal(true)
    expect([...credited.keys()]).to.deep.equal([seed.peerId])
    expect(credited.get(seed.peerId)).to.equal(fx.meta.length)
  })
})
