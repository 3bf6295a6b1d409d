/**
 * An upload policy whose decision is settling (the payment layer: a receipt being stored) holds the refused
 * requests and asks again, instead of choking the peer, over real TCP between two engines.
 */
import { expect } from 'chai'
import { join } from 'node:path'
import { makeFixture, sameFiles, engine, waitFor, type Fixture } from './fixtures.ts'
import type { ChokerPeer, PeerWire, TorrentEngine, UploadPolicy } from '../../../agent/swarm/index.ts'

/** Refuses every `every`-th block's worth of bytes for `ms` (a write in progress), with or without saying it settles. */
function pausingPolicy (every: number, ms: number, saysSettling: boolean, ended: () => void): UploadPolicy & { pauses: number, served: () => void } {
  let count = 0
  let settling: Promise<void> | null = null
  const policy = {
    pauses: 0,
    served: () => {
      if (++count % every !== 0 || settling !== null) return
      policy.pauses++
      settling = new Promise<void>(resolve => setTimeout(() => { settling = null; resolve(); ended() }, ms))
    },
    canServe: (_p: ChokerPeer) => settling === null,
    priority: () => 0,
    ...(saysSettling ? { settling: () => settling } : {})
  }
  return policy
}

describe('swarm engine: an upload decision that is settling', function () {
  this.timeout(60_000)
  let fx: Fixture | undefined
  const engines: TorrentEngine[] = []
  afterEach(async () => {
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    await fx?.cleanup()
    fx = undefined
  })

  async function transfer (saysSettling: boolean): Promise<{ chokes: number, pauses: number }> {
    fx = await makeFixture({ data: 4 * 1024 * 1024 })
    // the end of a pause rechokes, as the payment layer's `peer:paid-up` does, so a choked peer is unchoked at once
    let seed: TorrentEngine | null = null
    const policy = pausingPolicy(32, 20, saysSettling, () => { seed?.rechoke() })
    seed = engine(fx.meta, fx.seedDir, { uploadPolicy: policy })
    engines.push(seed)
    seed.on('block:uploaded', () => { policy.served() })
    await seed.start()
    const out = join(fx.root, 'leech')
    const leech = engine(fx.meta, out, { peers: [seed.address] })
    engines.push(leech)
    let chokes = 0
    // a choke while downloading; the one a finished leecher gets for no longer being interested does not count
    leech.on('wire:created', ({ wire }: { wire: PeerWire }) => { wire.on('wire:choke', () => { if (!leech.stats().done) chokes++ }) })
    const done = waitFor(leech, 'done')
    await leech.start()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
    return { chokes, pauses: policy.pauses }
  }

  it('holds the requests it refused while the decision settles, serves them after, and never chokes the peer', async () => {
    const { chokes, pauses } = await transfer(true)
    expect(pauses).to.be.greaterThan(3)
    expect(chokes).to.equal(0)
  })

  it('without settling, the same refusals choke the peer (what the hold saves)', async () => {
    const { chokes, pauses } = await transfer(false)
    expect(pauses).to.be.greaterThan(3)
    expect(chokes).to.be.greaterThan(0)
  })
})
