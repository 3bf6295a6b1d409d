import { expect } from 'chai'
import bencode from 'bencode'
import fc from 'fast-check'
import { AddressPolicy, checkInbound, checkOutbound, isPublicIPv4, MAX_VALUES_PER_REPLY, RateLimiter } from '../../../../agent/swarm/dht/index.ts'

const id = Buffer.alloc(20, 1)
const internet = new AddressPolicy(false)
const local = new AddressPolicy(true)
const PUBLIC = '93.184.216.34'

function peer (ip: string, port: number): Buffer {
  return Buffer.from([...ip.split('.').map(Number), port >> 8, port & 0xff])
}
function node (ip: string, port: number, fill = 2): Buffer { return Buffer.concat([Buffer.alloc(20, fill), peer(ip, port)]) }
function reply (r: Record<string, unknown>): Uint8Array { return bencode.encode({ t: 'aa', y: 'r', r: { id, ...r } }) }
function decodedR (buf: Uint8Array): Record<string, unknown> { return (bencode.decode(buf) as { r: Record<string, unknown> }).r }

describe('DHT gate (krpc-guard): what a hostile node cannot make the agent take', () => {
  it('refuses an oversized datagram before decoding it', () => {
    const v = checkInbound(new Uint8Array(4000), PUBLIC, 6881, internet, false)
    expect(v).to.deep.include({ ok: false })
    expect(!v.ok && v.reason).to.match(/^oversized datagram/)
  })

  it('refuses malformed input, each with its reason', () => {
    const cases: Array<[Uint8Array, RegExp]> = [
      [Buffer.from('d1:t'), /^bad bencode/],
      [bencode.encode([1, 2]), /^not a dictionary/],
      [bencode.encode({ y: 'q' }), /transaction id/],
      [bencode.encode({ t: 'aa', y: 'z' }), /unknown message type/],
      [bencode.encode({ t: 'aa', y: 'q', q: 'put', a: { id, k: 5, v: 'x', token: 'tt' } }), /unsupported query/],
      [bencode.encode({ t: 'aa', y: 'q', q: 'get_peers', a: { id, info_hash: 7 } }), /info_hash is not 20 bytes/],
      [bencode.encode({ t: 'aa', y: 'q', q: 'announce_peer', a: { id, info_hash: id, token: 'x', port: 70000 } }), /port is not 1-65535/],
      [bencode.encode({ t: 'aa', y: 'q', q: 'find_node', a: { id: 'short', target: id } }), /a\.id is not 20 bytes/],
      [reply({ nodes: Buffer.alloc(27) }), /nodes is not a multiple of 26/],
      [reply({ values: [Buffer.alloc(5)] }), /values is not a list of 6-byte peers/],
      [reply({ values: 'abcdef' }), /values is not a list/],
      [bencode.encode({ t: 'aa', y: 'r', r: 5 }), /reply without a dictionary r/],
      [bencode.encode({ t: 'aa', y: 'e', e: 'boom' }), /error reply without an e list/]
    ]
    for (const [buf, reason] of cases) {
      const v = checkInbound(buf, PUBLIC, 6881, internet, false)
      expect(v.ok, String(reason)).to.equal(false)
      expect(!v.ok && v.reason).to.match(reason)
    }
  })

  it('drops private and loopback peers and nodes from a reply on the internet, and keeps them on a local DHT', () => {
    const buf = reply({ token: 'tok', values: [peer('10.0.0.5', 6881), peer('127.0.0.1', 6881), peer('192.168.1.2', 1), peer(PUBLIC, 51413), peer('8.8.8.8', 0)], nodes: Buffer.concat([node('127.0.0.1', 6881), node(PUBLIC, 6881, 3)]) })
    const v = checkInbound(buf, PUBLIC, 6881, internet, false)
    expect(v.ok).to.equal(true)
    if (!v.ok) return
    const r = decodedR(v.buf)
    expect((r['values'] as Uint8Array[]).map(b => Buffer.from(b).toString('hex'))).to.deep.equal([peer(PUBLIC, 51413).toString('hex')])
    expect((r['nodes'] as Uint8Array).length).to.equal(26)
    expect(v.trimmed.join(' ')).to.match(/4 of 5 peers/).and.match(/1 of 2 nodes/)
    const onLan = checkInbound(buf, '127.0.0.5', 6881, local, false)
    expect(onLan.ok && (decodedR(onLan.buf)['values'] as unknown[]).length).to.equal(4) // port 0 is never a peer
  })

  it('refuses datagrams from non-public sources unless they are a named bootstrap node or the DHT is local', () => {
    const ping = bencode.encode({ t: 'aa', y: 'q', q: 'ping', a: { id } })
    expect(checkInbound(ping, '192.168.0.9', 6881, internet, false).ok).to.equal(false)
    expect(checkInbound(ping, '192.168.0.9', 6881, new AddressPolicy(false, ['192.168.0.9:6881']), false).ok).to.equal(true)
    expect(checkInbound(ping, '192.168.0.9', 6881, local, false).ok).to.equal(true)
    expect(checkOutbound(ping, '10.1.2.3', 6881, internet, false).ok).to.equal(false)
  })

  it(`caps the peers taken from one reply at ${MAX_VALUES_PER_REPLY}`, () => {
    const values = Array.from({ length: 200 }, (_, i) => peer(`93.184.${i}.1`, 6881))
    // 200 values do not fit the size cap; 150 (1,200 bytes) do.
    const v = checkInbound(reply({ values: values.slice(0, 150) }), PUBLIC, 6881, internet, false)
    expect(v.ok && (decodedR(v.buf)['values'] as unknown[]).length).to.equal(MAX_VALUES_PER_REPLY)
  })

  it('read-only (BEP 43): answers no query, marks its own queries ro=1, sends no announce_peer', () => {
    const q = bencode.encode({ t: 'aa', y: 'q', q: 'get_peers', a: { id, info_hash: id } })
    expect(checkInbound(q, PUBLIC, 6881, internet, true)).to.deep.include({ ok: false, reason: 'query to a read-only node (BEP 43)' })
    const out = checkOutbound(q, PUBLIC, 6881, internet, true)
    expect(out.ok && (bencode.decode(out.buf) as { ro?: number }).ro).to.equal(1)
    expect(checkOutbound(bencode.encode({ t: 'aa', y: 'q', q: 'announce_peer', a: { id, info_hash: id, port: 1, token: 'x' } }), PUBLIC, 6881, internet, true).ok).to.equal(false)
  })

  it('classifies public and non-public IPv4 ranges', () => {
    for (const h of ['10.1.1.1', '127.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.5.5', '169.254.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', 'host']) expect(isPublicIPv4(h), h).to.equal(false)
    for (const h of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '93.184.216.34', '1.1.1.1']) expect(isPublicIPv4(h), h).to.equal(true)
  })

  it('never throws, whatever the bytes (property, fixed seed)', () => {
    const krpcish = fc.record({ t: fc.uint8Array({ maxLength: 20 }), y: fc.constantFrom('q', 'r', 'e'), q: fc.string({ maxLength: 14 }), a: fc.dictionary(fc.constantFrom('id', 'info_hash', 'target', 'token', 'port', 'implied_port'), fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 30 }), fc.constant(id))), r: fc.dictionary(fc.constantFrom('id', 'nodes', 'values', 'token'), fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 80 }), fc.constant(id), fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 20 }))), e: fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), fc.array(fc.integer(), { maxLength: 3 })) })
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 3000 }), krpcish.map(m => { try { return bencode.encode(m) } catch { return new Uint8Array() } })), fc.boolean(), fc.boolean(), (buf, allowLocal, readOnly) => {
      const v = checkInbound(buf, allowLocal ? '127.0.0.1' : PUBLIC, 6881, allowLocal ? local : internet, readOnly)
      if (v.ok) expect(v.buf.length).to.be.at.most(3000)
      else expect(v.reason).to.be.a('string').and.not.equal('')
    }), { numRuns: 5000, seed: 5 })
  })

  it('rate limit: a burst per address, then its sustained rate, and a bounded table of addresses', () => {
    let now = 0
    const rl = new RateLimiter({ perSecond: 10, burst: 5, maxSources: 3, now: () => now })
    expect(Array.from({ length: 7 }, () => rl.take('a')).filter(Boolean)).to.have.length(5)
    now += 200 // two tokens back
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).to.deep.equal([true, true, false])
    for (const s of ['b', 'c', 'd', 'e']) rl.take(s)
    expect(rl.size).to.equal(3)
  })
})
