/**
 * The UDP socket bittorrent-dht runs on (k-rpc-socket's `opts.socket`), with the gate in front: a per-address and a
 * global rate limit, then krpc-guard's checks, in and out. What the library receives is always well-formed BEP 5
 * from an address policy allows, with replies trimmed to their caps; whatever is refused is logged with its reason.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { EventEmitter } from 'node:events'
import type { DhtSocketLike } from 'bittorrent-dht'
import type { AddressPolicy } from './address-policy.ts'
import type { DropLog } from './drop-log.ts'
import { checkInbound, checkOutbound } from './krpc-guard.ts'
import { RateLimiter } from './rate-limit.ts'

/** Whole-socket ceiling: a busy public node sees tens of datagrams a second; 400 leaves room and bounds CPU. */
const GLOBAL_PER_SECOND = 400

export interface GuardStats { received: number, dropped: number, rateLimited: number }

export class GuardedSocket extends EventEmitter implements DhtSocketLike {
  private readonly socket: Socket
  private readonly perSource: RateLimiter
  private readonly global = new RateLimiter({ perSecond: GLOBAL_PER_SECOND, burst: GLOBAL_PER_SECOND * 2, maxSources: 1 })
  private received = 0
  private rateLimited = 0

  constructor (private readonly components: { policy: AddressPolicy, drops: DropLog }, private readonly init: { readOnly: boolean, perSourcePerSecond?: number }) {
    super()
    this.perSource = new RateLimiter({ perSecond: init.perSourcePerSecond ?? 20, burst: (init.perSourcePerSecond ?? 20) * 2 })
    this.socket = createSocket('udp4')
    this.socket.on('message', (buf, rinfo) => this.onMessage(buf, rinfo))
    this.socket.on('error', (err) => this.emit('error', err))
    this.socket.on('listening', () => this.emit('listening'))
    this.socket.on('close', () => this.emit('close'))
  }

  stats (): GuardStats { return { received: this.received, dropped: this.components.drops.dropped, rateLimited: this.rateLimited } }

  send (buf: Uint8Array, offset: number, length: number, port: number, host: string, cb?: (err: Error | null) => void): void {
    const v = checkOutbound(buf.subarray(offset, offset + length), host, port, this.components.policy, this.init.readOnly)
    if (!v.ok) {
      // Not a drop of hostile input, but the library must learn the query failed, or it waits out its timeout.
      process.nextTick(() => cb?.(new Error(v.reason)))
      return
    }
    this.socket.send(v.buf, port, host, (err) => cb?.(err ?? null))
  }

  bind (port?: number, host?: string, cb?: () => void): void { this.socket.bind(port, host, cb) }
  address (): { address: string, family: string, port: number } { return this.socket.address() }
  close (cb?: () => void): void { this.socket.close(cb) }

  private onMessage (buf: Buffer, rinfo: RemoteInfo): void {
    this.received++
    const from = `${rinfo.address}:${rinfo.port}`
    if (!this.global.take('all') || !this.perSource.take(rinfo.address)) {
      this.rateLimited++
      this.components.drops.drop('over the rate limit', from)
      return
    }
    const v = checkInbound(buf, rinfo.address, rinfo.port, this.components.policy, this.init.readOnly)
    if (!v.ok) { this.components.drops.drop(v.reason, from); return }
    for (const t of v.trimmed) this.components.drops.drop(`reply trimmed: ${t}`, from)
    try {
      this.emit('message', Buffer.from(v.buf.buffer, v.buf.byteOffset, v.buf.length), rinfo)
    } catch (err) {
      // The library threw on a message the gate let through: that is a gap in krpc-guard, never a crash.
      this.components.drops.drop(`dht library threw: ${(err as Error).message}`, from)
    }
  }
}
