/** Peer list encodings: compact IPv4 (BEP 23), compact IPv6 (BEP 7) and the original dictionary list (BEP 3). */
import { bytesToString, isBytes, isDict, type BValue } from './bencode.ts'
import type { Peer } from './types.ts'

/** BEP 23: 4 bytes address + 2 bytes port, big-endian. */
export const COMPACT_IPV4_LENGTH = 6
/** BEP 7: 16 bytes address + 2 bytes port. */
export const COMPACT_IPV6_LENGTH = 18

/** Returns null when the length is not a multiple of 6, so the caller can report it. */
export function decodeCompactIPv4 (buf: Uint8Array): Peer[] | null {
  if (buf.length % COMPACT_IPV4_LENGTH !== 0) return null
  const out: Peer[] = []
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  for (let i = 0; i < buf.length; i += COMPACT_IPV4_LENGTH) {
    out.push({
      host: `${buf[i]}.${buf[i + 1]}.${buf[i + 2]}.${buf[i + 3]}`,
      port: view.getUint16(i + 4)
    })
  }
  return out
}

export function decodeCompactIPv6 (buf: Uint8Array): Peer[] | null {
  if (buf.length % COMPACT_IPV6_LENGTH !== 0) return null
  const out: Peer[] = []
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  for (let i = 0; i < buf.length; i += COMPACT_IPV6_LENGTH) {
    const groups: string[] = []
    for (let g = 0; g < 8; g++) groups.push(view.getUint16(i + g * 2).toString(16))
    out.push({ host: groups.join(':'), port: view.getUint16(i + 16) })
  }
  return out
}

export function encodeCompactIPv4 (peers: Peer[]): Uint8Array {
  const out = new Uint8Array(peers.length * COMPACT_IPV4_LENGTH)
  const view = new DataView(out.buffer)
  peers.forEach((p, n) => {
    const parts = p.host.split('.').map(Number)
    parts.forEach((x, k) => { out[n * COMPACT_IPV4_LENGTH + k] = x })
    view.setUint16(n * COMPACT_IPV4_LENGTH + 4, p.port)
  })
  return out
}

/** BEP 3 list of `{ip, port, peer id}` dictionaries; returns a reason string when an entry is malformed. */
export function decodeDictPeers (list: BValue[]): Peer[] | string {
  const out: Peer[] = []
  for (const [n, entry] of list.entries()) {
    if (!isDict(entry)) return `peers[${n}] is not a dictionary`
    const ip = entry.ip
    const port = entry.port
    if (!isBytes(ip)) return `peers[${n}].ip is not a string`
    if (typeof port !== 'number') return `peers[${n}].port is not an integer`
    if (!isValidPort(port)) return `peers[${n}].port ${port} out of range`
    out.push({ host: bytesToString(ip), port })
  }
  return out
}

export function isValidPort (port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 0xffff
}
