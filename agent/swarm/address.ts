import { isIP } from 'node:net'
import { InvalidPeerAddressError } from './errors.ts'

export interface HostPort { host: string, port: number }

/** Parse `host:port` or `[v6]:port`; throws InvalidPeerAddressError naming the input. */
export function parseAddress (address: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address)
  if (m === null) throw new InvalidPeerAddressError(address)
  const host = m[1]!
  const port = Number(m[2])
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidPeerAddressError(address)
  if (isIP(host) === 0 && !/^[a-z0-9.-]+$/i.test(host)) throw new InvalidPeerAddressError(address)
  return { host, port }
}

/** `host:port` or `[v6]:port`; an IPv4-mapped IPv6 host (a dual-stack listener's view of an IPv4 peer) as IPv4. */
export function formatAddress (host: string, port: number): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)?.[1]
  if (v4 !== undefined) return `${v4}:${port}`
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
}
