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

export function formatAddress (host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
}
