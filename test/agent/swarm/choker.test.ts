import { expect } from 'chai'
import { Choker, type ChokerPeer, type UploadPolicy } from '../../../agent/swarm/index.ts'

function peer (id: string, downloadRate: number, extra: Partial<ChokerPeer> = {}): ChokerPeer {
  return { id, address: `127.0.0.1:${id}`, interested: true, downloadRate, uploadRate: 0, supports: () => false, ...extra }
}

describe('Choker', function () {
  it('unchokes the best uploaders to us plus one optimistic peer, and never an uninterested peer', () => {
    const c = new Choker({ uploadSlots: 2, optimisticSlots: 1, random: () => 0 })
    const peers = [peer('a', 10), peer('b', 30), peer('c', 20), peer('d', 5), peer('e', 99, { interested: false })]
    const u = c.select(peers, false, true)
    expect([...u].sort()).to.deep.equal(['a', 'b', 'c'])
  })

  it('lets an upload policy veto peers and put paying peers first without taking the free slots', () => {
    const paying = new Set(['p1', 'p2'])
    const policy: UploadPolicy = { canServe: p => p.id !== 'blocked', priority: p => paying.has(p.id) ? 1 : 0 }
    const c = new Choker({ uploadSlots: 1, optimisticSlots: 0, prioritySlots: 8, policy })
    const u = c.select([peer('p1', 0), peer('p2', 0), peer('free', 1), peer('slow', 0), peer('blocked', 100)], false, true)
    expect([...u].sort()).to.deep.equal(['free', 'p1', 'p2'])
  })
})

describe('Choker seeding rotation', function () {
  it('moves a regular slot to a waiting peer after 30 s when seeding', () => {
    let now = 0
    const c = new Choker({ uploadSlots: 1, optimisticSlots: 0, now: () => now })
    const peers = [{ ...peer('fast', 0), uploadRate: 100 }, { ...peer('waiting', 0), uploadRate: 1 }]
    expect([...c.select(peers, true, true)]).to.deep.equal(['fast'])
    now = 10_000
    expect([...c.select(peers, true, true)]).to.deep.equal(['fast'])
    now = 31_000
    expect([...c.select(peers, true, true)]).to.deep.equal(['waiting'])
  })
})
