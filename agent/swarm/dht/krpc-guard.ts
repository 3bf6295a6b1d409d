/**
 * Checks every KRPC datagram (BEP 5) before bittorrent-dht sees it, and every one before it leaves. Pure: bytes
 * and an address in, a verdict out, so each rule is unit-tested and fuzzed without a socket.
 *
 * Why here and not in the library: bittorrent-dht and k-rpc trust field types (a `put` whose `k` is an integer
 * throws inside a socket callback and takes the process down), take every value of a reply (one 64 KiB datagram
 * names 10,000 peers), and add every node named in a reply to their lookups. One strict gate at the socket keeps
 * every one of those out, and gives each refusal a reason to log.
 */
import bencode from 'bencode'
import type { AddressPolicy } from './address-policy.ts'

/**
 * Largest datagram accepted. BEP 5 replies fit one Ethernet frame: libtorrent caps a get_peers reply near 100
 * values (~800 bytes) and find_node returns 8 nodes (208 bytes); a BEP 44 value is at most 1000 bytes.
 */
export const MAX_KRPC_BYTES = 2048
/** Most peers taken from one get_peers reply; the rest are dropped (libtorrent sends at most ~100). */
export const MAX_VALUES_PER_REPLY = 50
/** Most nodes taken from one reply: BEP 5's K is 8; a reply naming more is padding a lookup with its friends. */
export const MAX_NODES_PER_REPLY = 16
/** Transaction ids are short; ours are 2 bytes, libtorrent's 2–4. */
const MAX_TID_BYTES = 16
/** Tokens are hashes (libtorrent 4 bytes, bittorrent-dht 20). */
const MAX_TOKEN_BYTES = 64
const ID_BYTES = 20
const NODE_BYTES = ID_BYTES + 6
/** The queries a BEP 5 node answers; BEP 44 get/put are not offered (bittorrent-dht's `put` trusts its fields). */
const QUERIES = new Set(['ping', 'find_node', 'get_peers', 'announce_peer'])

export type Verdict =
  | { ok: true, kind: 'q' | 'r' | 'e', buf: Uint8Array, /** what was cut from a reply, for the log */ trimmed: string[] }
  | { ok: false, reason: string }

type Dict = Record<string, unknown>

/** Inbound: is this datagram from `host:port` well-formed BEP 5, and what of it may the library see? */
export function checkInbound (buf: Uint8Array, host: string, port: number, policy: AddressPolicy, readOnly: boolean): Verdict {
  if (buf.length > MAX_KRPC_BYTES) return { ok: false, reason: `oversized datagram (${buf.length} bytes > ${MAX_KRPC_BYTES})` }
  if (!policy.allowsNode(host, port)) return { ok: false, reason: `datagram from a non-public address (${host}:${port})` }
  let msg: unknown
  try { msg = bencode.decode(buf) } catch (err) { return { ok: false, reason: `bad bencode: ${(err as Error).message}` } }
  if (!isDict(msg)) return { ok: false, reason: 'not a dictionary' }
  if (!isBytes(msg['t'], 1, MAX_TID_BYTES)) return { ok: false, reason: 'missing or bad transaction id t' }
  const y = text(msg['y'])
  if (y === 'q') {
    if (readOnly) return { ok: false, reason: 'query to a read-only node (BEP 43)' }
    const why = badQuery(msg)
    return why === null ? { ok: true, kind: 'q', buf, trimmed: [] } : { ok: false, reason: why }
  }
  if (y === 'e') {
    return Array.isArray(msg['e']) ? { ok: true, kind: 'e', buf, trimmed: [] } : { ok: false, reason: 'error reply without an e list' }
  }
  if (y === 'r') return checkReply(msg, buf, policy)
  return { ok: false, reason: `unknown message type (y=${JSON.stringify(y)})` }
}

/** Outbound: may we send to `host:port`? In read-only mode every query says so (BEP 43 `ro: 1`). */
export function checkOutbound (buf: Uint8Array, host: string, port: number, policy: AddressPolicy, readOnly: boolean): Verdict {
  if (!policy.allowsNode(host, port)) return { ok: false, reason: `refusing to send to a non-public address (${host}:${port})` }
  if (!readOnly) return { ok: true, kind: 'q', buf, trimmed: [] }
  const msg = bencode.decode(buf)
  if (!isDict(msg) || text(msg['y']) !== 'q') return { ok: true, kind: 'r', buf, trimmed: [] }
  // A read-only node never announces: peers it cannot serve should not be stored against its address.
  if (text(msg['q']) === 'announce_peer') return { ok: false, reason: 'announce_peer from a read-only node' }
  return { ok: true, kind: 'q', buf: bencode.encode({ ...msg, ro: 1 }), trimmed: [] }
}

function badQuery (msg: Dict): string | null {
  const q = text(msg['q'])
  if (q === null || !QUERIES.has(q)) return `unsupported query (${JSON.stringify(q ?? msg['q'] ?? null).slice(0, 40)})`
  const a = msg['a']
  if (!isDict(a)) return `${q} without an argument dictionary a`
  if (!isBytes(a['id'], ID_BYTES, ID_BYTES)) return `${q}: a.id is not ${ID_BYTES} bytes`
  if (q === 'find_node' && !isBytes(a['target'], ID_BYTES, ID_BYTES)) return 'find_node: a.target is not 20 bytes'
  if ((q === 'get_peers' || q === 'announce_peer') && !isBytes(a['info_hash'], ID_BYTES, ID_BYTES)) return `${q}: a.info_hash is not 20 bytes`
  if (q === 'announce_peer') {
    if (!isBytes(a['token'], 1, MAX_TOKEN_BYTES)) return 'announce_peer: bad token'
    const port = a['port']
    const implied = a['implied_port']
    if (implied !== undefined && implied !== 0 && implied !== 1) return 'announce_peer: implied_port is not 0 or 1'
    if (implied !== 1 && (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)) return 'announce_peer: port is not 1-65535'
  }
  return null
}

function checkReply (msg: Dict, buf: Uint8Array, policy: AddressPolicy): Verdict {
  const r = msg['r']
  if (!isDict(r)) return { ok: false, reason: 'reply without a dictionary r' }
  if (!isBytes(r['id'], ID_BYTES, ID_BYTES)) return { ok: false, reason: `reply: r.id is not ${ID_BYTES} bytes` }
  if (r['token'] !== undefined && !isBytes(r['token'], 1, MAX_TOKEN_BYTES)) return { ok: false, reason: 'reply: bad token' }
  const trimmed: string[] = []
  const out: Dict = { ...r }
  const nodes = r['nodes']
  if (nodes !== undefined) {
    if (!isBytes(nodes, 0, MAX_KRPC_BYTES) || nodes.length % NODE_BYTES !== 0) return { ok: false, reason: `reply: nodes is not a multiple of ${NODE_BYTES} bytes` }
    const kept = keepNodes(nodes, policy)
    if (kept.dropped > 0) trimmed.push(`${kept.dropped} of ${nodes.length / NODE_BYTES} nodes (non-public, port 0 or past ${MAX_NODES_PER_REPLY})`)
    out['nodes'] = kept.bytes
  }
  const values = r['values']
  if (values !== undefined) {
    if (!Array.isArray(values) || !values.every(v => isBytes(v, 6, 6))) return { ok: false, reason: 'reply: values is not a list of 6-byte peers' }
    const kept = (values).filter(v => policy.allowsPeer(compactHost(v, 0), portAt(v, 4)))
    const capped = kept.slice(0, MAX_VALUES_PER_REPLY)
    if (capped.length < values.length) trimmed.push(`${values.length - capped.length} of ${values.length} peers (non-public, port 0 or past ${MAX_VALUES_PER_REPLY})`)
    if (capped.length > 0) out['values'] = capped
    else delete out['values']
  }
  if (trimmed.length === 0) return { ok: true, kind: 'r', buf, trimmed }
  return { ok: true, kind: 'r', buf: bencode.encode({ ...msg, r: out }), trimmed }
}

function keepNodes (nodes: Uint8Array, policy: AddressPolicy): { bytes: Uint8Array, dropped: number } {
  const keep: Uint8Array[] = []
  const total = nodes.length / NODE_BYTES
  for (let i = 0; i < total && keep.length < MAX_NODES_PER_REPLY; i++) {
    const at = i * NODE_BYTES
    if (policy.allowsNode(compactHost(nodes, at + ID_BYTES), portAt(nodes, at + ID_BYTES + 4))) keep.push(nodes.subarray(at, at + NODE_BYTES))
  }
  const bytes = new Uint8Array(keep.length * NODE_BYTES)
  keep.forEach((n, k) => bytes.set(n, k * NODE_BYTES))
  return { bytes, dropped: total - keep.length }
}

function compactHost (b: Uint8Array, at: number): string { return `${b[at]!}.${b[at + 1]!}.${b[at + 2]!}.${b[at + 3]!}` }
function portAt (b: Uint8Array, at: number): number { return (b[at]! << 8) | b[at + 1]! }

function isDict (v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
}

function isBytes (v: unknown, min: number, max: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length >= min && v.length <= max
}

/** A short byte string as text (`y`, `q`), or null. */
function text (v: unknown): string | null {
  return isBytes(v, 1, 32) ? Buffer.from(v).toString('latin1') : null
}
