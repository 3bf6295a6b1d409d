import { expect } from 'chai'
import { createSocket } from 'node:dgram'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bencode from 'bencode'
import { DhtNode, loadTorrent, magnetFor, type DhtNodeInit, type TorrentEngine } from '../../../../agent/swarm/index.ts'
import { engine, logger, makeFixture, sameFiles, waitFor, type Fixture } from '../fixtures.ts'

/** A DHT of real nodes on real UDP sockets, each on its own loopback address (127.0.0.x routes to lo on Linux). */
async function node (host: string, bootstrap: string[], extra: Partial<DhtNodeInit> = {}): Promise<DhtNode> {
  const n = new DhtNode({ logger }, { host, port: 0, bootstrap, allowLocal: true, ...extra })
  await n.start()
  return n
}

/** One KRPC query from a fresh socket; the reply or null after `ms`. */
async function query (to: string, port: number, msg: Record<string, unknown>, ms = 1500): Promise<Record<string, unknown> | null> {
  const s = createSocket('udp4')
  try {
    return await new Promise(resolve => {
      const t = setTimeout(() => resolve(null), ms)
      s.on('message', (buf) => { clearTimeout(t); resolve(bencode.decode(buf) as Record<string, unknown>) })
      s.send(bencode.encode({ t: 'aa', y: 'q', ...msg }), port, to)
    })
  } finally { s.close() }
}

describe('DHT (BEP 5): a local DHT of several nodes on 127.0.0.x', function () {
  let fx: Fixture | undefined
  const nodes: DhtNode[] = []
  const engines: TorrentEngine[] = []
  let home: string | undefined

  afterEach(async () => {
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
    await Promise.all(nodes.splice(0).map(async n => await n.stop()))
    await fx?.cleanup()
    fx = undefined
    if (home !== undefined) await rm(home, { recursive: true, force: true })
    home = undefined
  })

  /** Four nodes that know each other through the first: the swarm's "internet". */
  async function backbone (): Promise<string[]> {
    const first = await node('127.0.0.2', [])
    nodes.push(first)
    const boot = [`127.0.0.2:${first.port}`]
    for (const h of ['127.0.0.3', '127.0.0.4', '127.0.0.5']) nodes.push(await node(h, boot))
    return nodes.map((n, i) => `127.0.0.${i + 2}:${n.port}`)
  }

  it('resolves a trackerless magnet (no tracker, no x.pe) through the DHT and downloads it from the announcing seed', async () => {
    const known = await backbone()
    fx = await makeFixture({ 'a.bin': 700_001, 'b/c.bin': 300_000 }, 32 * 1024)
    const seedDht = await node('127.0.0.6', [known[0]!])
    nodes.push(seedDht)
    const seed = engine(fx.meta, fx.seedDir, { host: '127.0.0.6', dht: seedDht })
    engines.push(seed)
    await seed.start()
    const magnet = await loadTorrent(magnetFor({ ...fx.meta, announce: [] }))
    expect(magnet.kind === 'magnet' && magnet.peers.length === 0 && magnet.announce.length === 0).to.equal(true)
    const leechDht = await node('127.0.0.7', [known[2]!])
    nodes.push(leechDht)
    const out = join(fx.root, 'leech')
    const leech = engine(magnet, out, { host: '127.0.0.7', dht: leechDht })
    engines.push(leech)
    const done = waitFor(leech, 'done', 90_000)
    await leech.start()
    await leech.waitForMetadata()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
    // The backbone learned both agents' nodes.
    expect(nodes.slice(0, 4).some(n => n.stats().nodes >= 2)).to.equal(true)
  })

  it('a leecher whose bootstrap node is not up yet finds the seed once it is (every round looks up afresh)', async () => {
    fx = await makeFixture({ data: 300_000 }, 32 * 1024)
    const probe = createSocket('udp4')
    const port = await new Promise<number>(resolve => probe.bind(0, '127.0.0.6', () => resolve(probe.address().port)))
    await new Promise<void>(resolve => probe.close(() => resolve()))
    const leechDht = await node('127.0.0.7', [`127.0.0.6:${port}`])
    nodes.push(leechDht)
    const out = join(fx.root, 'leech')
    const leech = engine(await loadTorrent(magnetFor({ ...fx.meta, announce: [] })), out, { host: '127.0.0.7', dht: leechDht })
    engines.push(leech)
    const done = waitFor(leech, 'done', 90_000)
    await leech.start()
    // Its first lookup times out against nobody; only then does the seed's node come up, alone, on that port.
    await new Promise(resolve => setTimeout(resolve, 3000))
    const seedDht = await node('127.0.0.6', [], { port })
    nodes.push(seedDht)
    const seed = engine(fx.meta, fx.seedDir, { host: '127.0.0.6', dht: seedDht })
    engines.push(seed)
    await seed.start()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
  })

  it('a read-only leecher (BEP 43) finds and downloads but answers no query and announces nothing', async () => {
    const known = await backbone()
    fx = await makeFixture({ data: 400_000 }, 32 * 1024)
    const seedDht = await node('127.0.0.6', [known[1]!])
    nodes.push(seedDht)
    const seed = engine(fx.meta, fx.seedDir, { host: '127.0.0.6', dht: seedDht })
    engines.push(seed)
    await seed.start()
    const ro = await node('127.0.0.8', [known[3]!], { readOnly: true })
    nodes.push(ro)
    const out = join(fx.root, 'leech')
    const leech = engine(await loadTorrent(magnetFor({ ...fx.meta, announce: [] })), out, { host: '127.0.0.8', dht: ro })
    engines.push(leech)
    const done = waitFor(leech, 'done', 90_000)
    await leech.start()
    await done
    expect(await sameFiles(fx, out)).to.equal(true)
    const id = Buffer.alloc(20, 7)
    expect(await query('127.0.0.8', ro.port, { q: 'ping', a: { id } })).to.equal(null)
    // No backbone node stored the read-only leecher as a peer: ask each for the torrent's peers.
    for (const [i, n] of nodes.slice(0, 4).entries()) {
      const r = await query(`127.0.0.${i + 2}`, n.port, { q: 'get_peers', a: { id, info_hash: Buffer.from(fx.meta.infoHash, 'hex') } })
      const values = ((r?.['r'] as Record<string, unknown> | undefined)?.['values'] ?? []) as Uint8Array[]
      expect(values.map(v => `${v[0]!}.${v[1]!}.${v[2]!}.${v[3]!}`)).to.not.include('127.0.0.8')
    }
  })

  it('sends our node\'s port in a BEP 5 port message, and adds a peer\'s node from its port message', async () => {
    fx = await makeFixture({ data: 100_000 }, 32 * 1024)
    const a = await node('127.0.0.9', [])
    const b = await node('127.0.0.10', [])
    nodes.push(a, b)
    const seed = engine(fx.meta, fx.seedDir, { host: '127.0.0.9', dht: a })
    engines.push(seed)
    await seed.start()
    const leech = engine(fx.meta, join(fx.root, 'leech'), { host: '127.0.0.10', dht: b, peers: [seed.address] })
    engines.push(leech)
    const done = waitFor(leech, 'done')
    await leech.start()
    await done
    // Each learned the other's node only from the port message: neither had a bootstrap node.
    const deadline = Date.now() + 10_000
    while ((a.stats().nodes === 0 || b.stats().nodes === 0) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
    expect(a.stats().nodes).to.equal(1)
    expect(b.stats().nodes).to.equal(1)
  })

  it('keeps its node id and contacts under the home across a restart', async () => {
    home = await mkdtemp(join(tmpdir(), 'seedpay-dht-home-'))
    const first = await node('127.0.0.2', [])
    nodes.push(first)
    const stateDir = join(home, 'dht')
    const n1 = await node('127.0.0.3', [`127.0.0.2:${first.port}`], { stateDir })
    const deadline = Date.now() + 10_000
    while (n1.stats().nodes === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
    const id = n1.nodeId
    // A second node on the same home while the first runs: a fresh id, nothing shared.
    const other = await node('127.0.0.4', [], { stateDir })
    expect(other.nodeId).to.not.equal(id)
    await other.stop()
    await n1.stop()
    // Restarted with no bootstrap node at all: same id, and it finds the first node from what it saved.
    const n2 = await node('127.0.0.3', [], { stateDir })
    nodes.push(n2)
    expect(n2.nodeId).to.equal(id)
    const until = Date.now() + 10_000
    while (n2.stats().nodes === 0 && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 100))
    expect(n2.stats().nodes).to.equal(1)
  })
})
