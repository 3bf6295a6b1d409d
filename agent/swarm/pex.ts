import bencode from 'bencode'
import { isIPv4 } from 'node:net'
import type Wire from 'bittorrent-protocol'
import type { WireExtension, WireExtensionCtor } from 'bittorrent-protocol'

/** BEP 11: at most one PEX message per minute per peer; the first goes out soon after the handshake. */
export const PEX_INTERVAL_MS = 60_000
const PEX_FIRST_DELAY_MS = 1_000
/** BEP 11: no more than 50 added and 50 dropped peers per message. */
const PEX_MAX_PEERS = 50
/** Messages arriving faster than this are ignored (libtorrent drops them too); a flood costs us nothing. */
const PEX_MIN_RECEIVE_INTERVAL_MS = 45_000
/** Largest PEX message we parse: 50 IPv4 + 50 IPv6 entries with flags fits well inside 4 KiB. */
const PEX_MAX_MESSAGE = 4096

export interface PexInit {
  /** Listen addresses (`ip:port`) of our other peers, to advertise. */
  known(): string[]
  /** Addresses the remote told us about. */
  onPeers(addresses: string[]): void
}

/**
 * ut_pex (BEP 11): swap the listen addresses of connected peers. Only IPv4 `added` entries are used;
 * dropped lists are informational, and the dialler's backoff handles dead addresses anyway.
 */
export function pexExtension (init: PexInit): WireExtensionCtor {
  class Pex implements WireExtension {
    private readonly wire: Wire
    private timer: NodeJS.Timeout | null = null
    private lastReceived = 0
    private sent = new Set<string>()

    constructor (wire: Wire) {
      this.wire = wire
      wire.once('close', () => this.stop())
      wire.once('finish', () => this.stop())
    }

    onExtendedHandshake (handshake: Record<string, unknown>): void {
      const m = handshake['m'] as Record<string, unknown> | undefined
      if (m === undefined || typeof m['ut_pex'] !== 'number' || this.timer !== null) return
      this.timer = setTimeout(() => {
        this.send()
        this.timer = setInterval(() => this.send(), PEX_INTERVAL_MS)
        this.timer.unref()
      }, PEX_FIRST_DELAY_MS)
      this.timer.unref()
    }

    onMessage (buf: Uint8Array): void {
      const now = Date.now()
      if (buf.length > PEX_MAX_MESSAGE || now - this.lastReceived < PEX_MIN_RECEIVE_INTERVAL_MS) return
      this.lastReceived = now
      let msg: unknown
      try { msg = bencode.decode(buf) } catch { return }
      const added = (msg as { added?: unknown } | null)?.added
      if (!(added instanceof Uint8Array) || added.length % 6 !== 0) return
      const out: string[] = []
      for (let i = 0; i < added.length && out.length < PEX_MAX_PEERS; i += 6) {
        const port = (added[i + 4]! << 8) | added[i + 5]!
        if (port === 0) continue
        out.push(`${added[i]!}.${added[i + 1]!}.${added[i + 2]!}.${added[i + 3]!}:${port}`)
      }
      if (out.length > 0) init.onPeers(out)
    }

    private send (): void {
      const now = new Set(init.known().filter(a => isIPv4(a.split(':')[0] ?? '')))
      const added = [...now].filter(a => !this.sent.has(a)).slice(0, PEX_MAX_PEERS)
      const dropped = [...this.sent].filter(a => !now.has(a)).slice(0, PEX_MAX_PEERS)
      if (added.length === 0 && dropped.length === 0) return
      for (const a of added) this.sent.add(a)
      for (const a of dropped) this.sent.delete(a)
      this.wire.extended('ut_pex', { added: compact(added), 'added.f': new Uint8Array(added.length), dropped: compact(dropped) })
    }

    private stop (): void {
      if (this.timer !== null) { clearTimeout(this.timer); clearInterval(this.timer) }
      this.timer = null
    }
  }
  Object.defineProperty(Pex.prototype, 'name', { value: 'ut_pex' })
  return Pex as unknown as WireExtensionCtor
}

function compact (addresses: string[]): Uint8Array {
  const out = new Uint8Array(addresses.length * 6)
  addresses.forEach((a, k) => {
    const [ip = '', port = '0'] = a.split(':')
    ip.split('.').forEach((octet, j) => { out[k * 6 + j] = Number(octet) })
    out[k * 6 + 4] = (Number(port) >> 8) & 0xff
    out[k * 6 + 5] = Number(port) & 0xff
  })
  return out
}
