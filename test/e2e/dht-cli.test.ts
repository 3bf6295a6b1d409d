/**
 * `seedpay seed` and `seedpay get` on a local DHT, as processes: a trackerless magnet resolves and downloads, and a
 * seeder whose DHT socket is fed thousands of malformed, oversized and hostile KRPC datagrams stays up, keeps
 * answering, stays within a memory bound, and logs why it dropped them.
 */
import { expect } from 'chai'
import { createSocket, type Socket } from 'node:dgram'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bencode from 'bencode'
import fc from 'fast-check'
import pino from 'pino'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { DhtNode, magnetFor } from '../../agent/swarm/index.ts'
import { makeFixture, sameFiles, type Fixture } from '../agent/swarm/fixtures.ts'

const logger = pino({ level: 'silent' })

function rssKiB (pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then(s => Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0))
}

async function ping (host: string, port: number, from: string): Promise<boolean> {
  const s = createSocket('udp4')
  await new Promise<void>(resolve => s.bind(0, from, resolve))
  try {
    return await new Promise<boolean>(resolve => {
      const t = setTimeout(() => resolve(false), 2000)
      s.on('message', buf => {
        const m = bencode.decode(buf) as { y?: Uint8Array }
        clearTimeout(t)
        resolve(m.y !== undefined && Buffer.from(m.y).toString() === 'r')
      })
      s.send(bencode.encode({ t: 'pp', y: 'q', q: 'ping', a: { id: Buffer.alloc(20, 9) } }), port, host)
    })
  } finally { s.close() }
}

/** KRPC-shaped garbage: random bytes, wrong types in the right places, oversized datagrams, hostile replies. */
const id = fc.uint8Array({ minLength: 0, maxLength: 40 })
const anyValue = fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 64 }), fc.constant([]), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer()))
const hostilePacket: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 300 }),
  fc.uint8Array({ minLength: 2049, maxLength: 65_000 }), // oversized
  fc.record({ t: anyValue, y: fc.constantFrom('q', 'r', 'e', 'x', ''), q: fc.constantFrom('ping', 'find_node', 'get_peers', 'announce_peer', 'put', 'get', 'vote'), a: fc.record({ id, target: anyValue, info_hash: anyValue, token: anyValue, port: anyValue, k: anyValue, v: anyValue, salt: anyValue, sig: anyValue }) })
    .map(m => bencode.encode(m)),
  fc.record({ t: fc.constant('aa'), y: fc.constant('r'), r: fc.record({ id, nodes: fc.uint8Array({ maxLength: 600 }), values: fc.array(fc.uint8Array({ minLength: 5, maxLength: 7 }), { maxLength: 300 }), token: anyValue }) })
    .map(m => bencode.encode(m)),
  // A deeply nested list: recursion in a decoder is the classic crash.
  fc.integer({ min: 100, max: 1000 }).map(n => Buffer.from('l'.repeat(n) + 'e'.repeat(n)))
)

describe('seedpay seed/get on a local DHT (processes)', function () {
  this.timeout(180_000)
  let fx: Fixture | undefined
  let dir: string | undefined
  const children: SeedpayChild[] = []
  const nodes: DhtNode[] = []

  afterEach(async () => {
    await Promise.all(children.splice(0).map(async c => await c.kill()))
    await Promise.all(nodes.splice(0).map(async n => await n.stop()))
    await fx?.cleanup()
    fx = undefined
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  async function backbone (): Promise<string> {
    const first = new DhtNode({ logger }, { host: '127.0.0.2', bootstrap: [], allowLocal: true })
    await first.start()
    nodes.push(first)
    for (const h of ['127.0.0.3', '127.0.0.4']) {
      const n = new DhtNode({ logger }, { host: h, bootstrap: [`127.0.0.2:${first.port}`], allowLocal: true })
      await n.start()
      nodes.push(n)
    }
    return `127.0.0.2:${first.port}`
  }

  it('a magnet with no tracker and no peer resolves on the DHT and downloads from the seeder that announced it', async () => {
    const boot = await backbone()
    fx = await makeFixture({ 'x.bin': 1_500_000 }, 64 * 1024, 'dht-data')
    const torrent = join(fx.root, 'x.torrent')
    await import('node:fs/promises').then(async fs => { await fs.writeFile(torrent, fx!.torrent) })
    const seed = new SeedpayChild(['seed', torrent, '--data', fx.seedDir, '--host', '127.0.0.11', '--dht-bootstrap', boot, '--dht-local', '--log-file', join(fx.root, 'seed.log'), '--log-level', 'info'])
    children.push(seed)
    const listening = await seed.next('listening', 60_000)
    expect(listening['dhtPort']).to.be.a('number').above(0)
    const out = join(fx.root, 'out')
    const get = new SeedpayChild(['get', magnetFor({ ...fx.meta, announce: [] }), '--out', out, '--host', '127.0.0.12', '--dht-bootstrap', `127.0.0.3:${nodes[1]!.port}`, '--dht-local', '--stall-timeout', '90'])
    children.push(get)
    await get.next('metadata', 90_000)
    await get.next('done', 90_000)
    expect(await get.exited).to.equal(0)
    expect(await sameFiles(fx, out)).to.equal(true)
  })

  it('a DHT flag that does not parse is refused with exit 2 before anything starts', async () => {
    const get = new SeedpayChild(['get', 'magnet:?xt=urn:btih:' + 'ab'.repeat(20), '--out', join(tmpdir(), 'never'), '--dht-bootstrap', 'nope'])
    children.push(get)
    expect(await get.exited).to.equal(2)
    expect(get.stderr).to.contain('--dht-bootstrap "nope" is not host:port')
  })

  it('survives a fuzzed flood of malformed, oversized and hostile KRPC datagrams: up, answering, bounded, every drop logged', async () => {
    fx = await makeFixture({ 'y.bin': 200_000 }, 32 * 1024, 'fuzz-data')
    dir = await mkdtemp(join(tmpdir(), 'seedpay-dht-fuzz-'))
    const torrent = join(dir, 'y.torrent')
    await import('node:fs/promises').then(async fs => { await fs.writeFile(torrent, fx!.torrent) })
    const log = join(dir, 'seed.log')
    // Not --dht-local: datagrams from 127.0.0.x must be refused as non-public, except from the bootstrap nodes the
    // user named (the policy trusts those), which is where the parser-level garbage comes from.
    const trusted: Socket[] = []
    for (let i = 40; i < 48; i++) {
      const s = createSocket('udp4')
      await new Promise<void>(resolve => s.bind(0, `127.0.0.${i}`, resolve))
      trusted.push(s)
    }
    const stranger = createSocket('udp4')
    await new Promise<void>(resolve => stranger.bind(0, '127.0.0.48', resolve))
    const boot = trusted.map(s => `${s.address().address}:${s.address().port}`).join(',')
    const seed = new SeedpayChild(['seed', torrent, '--data', fx.seedDir, '--host', '127.0.0.13', '--dht-bootstrap', boot, '--log-file', log, '--log-level', 'warn'])
    children.push(seed)
    const listening = await seed.next('listening', 60_000)
    const port = listening['dhtPort'] as number
    const pid = seed.proc.pid!
    const before = await rssKiB(pid)
    const packets = fc.sample(hostilePacket, { numRuns: 3000, seed: 14 })
    let sent = 0
    for (const p of packets) {
      // Most from the trusted nodes (past the address policy, into the parser), some from a stranger.
      const s = sent % 10 === 0 ? stranger : trusted[sent % trusted.length]!
      s.send(p, port, '127.0.0.13')
      sent++
      // ~300 datagrams/s: under the global cap, near the per-address one, so most reach the parser.
      if (sent % 30 === 0) await new Promise(resolve => setTimeout(resolve, 100))
    }
    await new Promise(resolve => setTimeout(resolve, 1500))
    expect(seed.proc.exitCode, seed.stderr).to.equal(null)
    // Still a DHT node: it answers a well-formed ping from its bootstrap node.
    const answered = await new Promise<boolean>(resolve => {
      const t = setTimeout(() => resolve(false), 3000)
      trusted[0]!.on('message', buf => {
        try {
          const m = bencode.decode(buf) as { t?: Uint8Array, y?: Uint8Array }
          if (m.t !== undefined && Buffer.from(m.t).toString() === 'ok' && m.y !== undefined && Buffer.from(m.y).toString() === 'r') { clearTimeout(t); resolve(true) }
        } catch {}
      })
      setTimeout(() => trusted[0]!.send(bencode.encode({ t: 'ok', y: 'q', q: 'ping', a: { id: Buffer.alloc(20, 3) } }), port, '127.0.0.13'), 1100)
    })
    expect(answered).to.equal(true)
    // A stranger on a non-public address gets nothing back.
    expect(await ping('127.0.0.13', port, '127.0.0.49')).to.equal(false)
    const after = await rssKiB(pid)
    expect(after - before, `RSS grew from ${before} to ${after} KiB`).to.be.below(64 * 1024)
    for (const s of [...trusted, stranger]) s.close()
    const text = await readFile(log, 'utf8')
    for (const reason of ['oversized datagram', 'bad bencode', 'non-public address', 'over the rate limit', 'unsupported query']) {
      expect(text, reason).to.contain(reason)
    }
    // The gate let nothing through that made the library throw.
    expect(text).to.not.contain('dht library threw')
    if (process.env['DHT_FUZZ_REASONS'] !== undefined) process.stderr.write([...new Set([...text.matchAll(/"reason":"([^"]{0,60})/g)].map(m => m[1]))].join('\n') + '\n')
    expect(await seed.stop()).to.equal(0)
  })
})
