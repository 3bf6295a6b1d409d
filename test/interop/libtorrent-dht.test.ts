/**
 * The agent's DHT against libtorrent's (python3-libtorrent 2.0, DHT on, bootstrapped from our local nodes on
 * 127.0.0.x): a magnet with no tracker and no peer resolves and downloads in both directions. libtorrent's
 * protections against a DHT on private addresses are turned off in lt_client.py (--dht-bootstrap), the agent's by
 * --dht-local; everything else is each side's default BEP 5.
 */
import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import pino from 'pino'
import { LibtorrentClient, freePort, stopAllProcesses } from '../../devtools/clients/index.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { DhtNode, magnetFor } from '../../agent/swarm/index.ts'
import { makeFixture, sameFiles, type Fixture } from '../agent/swarm/fixtures.ts'

const logger = pino({ level: 'silent' })

describe('interop: the DHT with libtorrent (trackerless magnets)', function () {
  this.timeout(180_000)
  let fx: Fixture | undefined
  const nodes: DhtNode[] = []
  const children: SeedpayChild[] = []
  const lts: LibtorrentClient[] = []

  afterEach(async () => {
    await Promise.all(children.splice(0).map(async c => await c.kill()))
    await Promise.all(lts.splice(0).map(async c => await c.stop()))
    await stopAllProcesses()
    await Promise.all(nodes.splice(0).map(async n => await n.stop()))
    await fx?.cleanup()
    fx = undefined
  })

  async function backbone (): Promise<string[]> {
    const first = new DhtNode({ logger }, { host: '127.0.0.2', bootstrap: [], allowLocal: true })
    await first.start()
    nodes.push(first)
    for (const h of ['127.0.0.3', '127.0.0.4']) {
      const n = new DhtNode({ logger }, { host: h, bootstrap: [`127.0.0.2:${first.port}`], allowLocal: true })
      await n.start()
      nodes.push(n)
    }
    return nodes.map((n, i) => `127.0.0.${i + 2}:${n.port}`)
  }

  it('the agent resolves a trackerless magnet that libtorrent announced on the DHT, and downloads it from libtorrent', async () => {
    const known = await backbone()
    fx = await makeFixture({ 'lt.bin': 2_000_000 }, 64 * 1024, 'lt-seeded')
    const torrent = join(fx.root, 'lt.torrent')
    await writeFile(torrent, fx.torrent)
    const lt = new LibtorrentClient({ dhtBootstrap: [known[0]!] })
    lts.push(lt)
    await lt.start(torrent, fx.seedDir, { host: '127.0.0.21', port: await freePort() })
    const out = join(fx.root, 'out')
    const get = new SeedpayChild(['get', magnetFor({ ...fx.meta, announce: [] }), '--out', out, '--host', '127.0.0.22', '--dht-bootstrap', known[1]!, '--dht-local', '--stall-timeout', '150'])
    children.push(get)
    await get.next('metadata', 150_000)
    await get.next('done', 150_000)
    expect(await get.exited).to.equal(0)
    expect(await sameFiles(fx, out)).to.equal(true)
  })

  it('libtorrent resolves a trackerless magnet the agent announced on the DHT, and downloads it from the agent', async () => {
    const known = await backbone()
    fx = await makeFixture({ 'agent.bin': 2_000_000 }, 64 * 1024, 'agent-seeded')
    const torrent = join(fx.root, 'a.torrent')
    await writeFile(torrent, fx.torrent)
    const seed = new SeedpayChild(['seed', torrent, '--data', fx.seedDir, '--host', '127.0.0.23', '--dht-bootstrap', known[0]!, '--dht-local'])
    children.push(seed)
    await seed.next('listening', 60_000)
    const lt = new LibtorrentClient({ dhtBootstrap: [known[2]!] })
    lts.push(lt)
    const out = join(fx.root, 'lt-out')
    await lt.start(magnetFor({ ...fx.meta, announce: [] }), out, { host: '127.0.0.24', port: await freePort(), seed: false })
    await lt.waitForComplete({ timeoutMs: 150_000 })
    expect(await sameFiles(fx, out)).to.equal(true)
  })
})
