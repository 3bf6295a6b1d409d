/**
 * Which IPv4 addresses the DHT talks to and which peers it hands to the dialler. On the internet a DHT reply
 * naming 10.0.0.5 or 127.0.0.1 is either stale or an attempt to make us dial into our own network (a port scan
 * of the LAN by proxy), so private, loopback, link-local, multicast and reserved ranges are refused unless
 * `allowLocal` (a DHT on one machine or one LAN: tests, the README's trial). Bootstrap nodes the user named are
 * trusted as named, whatever their range.
 */
import { isIPv4 } from 'node:net'

type Range = readonly [number, number, number]
/** [first octet, second octet or -1 for any, prefix bits]: never a unicast host, local DHT or not (RFC 6890). */
const NEVER: readonly Range[] = [
  [0, -1, 8], // "this network"
  [224, -1, 4], // multicast
  [240, -1, 4] // reserved, broadcast
]
/** Ranges a peer on the internet cannot have, beyond NEVER. */
const LOCAL: readonly Range[] = [
  [10, -1, 8], // private
  [100, 64, 10], // carrier-grade NAT
  [127, -1, 8], // loopback
  [169, 254, 16], // link-local
  [172, 16, 12], // private
  [192, 168, 16], // private
  [198, 18, 15] // benchmarking
]

/** True for an IPv4 address a peer on the internet could have. */
export function isPublicIPv4 (host: string): boolean {
  return isIPv4(host) && !inRanges(host, NEVER) && !inRanges(host, LOCAL)
}

function inRanges (host: string, ranges: readonly Range[]): boolean {
  const [a = 0, b = 0] = host.split('.').map(Number)
  const word = ((a << 24) | (b << 16)) >>> 0
  return ranges.some(([x, y, bits]) => {
    const mask = (0xffffffff << (32 - bits)) >>> 0
    return ((word & mask) >>> 0) === ((((x << 24) | ((y < 0 ? 0 : y) << 16)) & mask) >>> 0)
  })
}

export class AddressPolicy {
  private readonly trusted: Set<string>

  /**
   * @param allowLocal accept private and loopback addresses too (a local DHT). @default false
   * @param trusted `host:port` the user named (bootstrap nodes): always allowed.
   */
  constructor (readonly allowLocal = false, trusted: Iterable<string> = []) {
    this.trusted = new Set(trusted)
  }

  /** May we send to, and accept datagrams from, this DHT node? */
  allowsNode (host: string, port: number): boolean {
    if (this.trusted.has(`${host}:${port}`)) return true
    return this.allowsPeer(host, port)
  }

  /** May a peer address learned from the DHT be dialled? */
  allowsPeer (host: string, port: number): boolean {
    if (!Number.isInteger(port) || port < 1 || port > 65535 || !isIPv4(host)) return false
    return this.allowLocal ? !inRanges(host, NEVER) : isPublicIPv4(host)
  }
}
