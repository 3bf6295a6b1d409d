/**
 * UDP tracker protocol (BEP 15): connect, announce, scrape, error; connection ids that expire after a minute;
 * retransmission after 15·2ⁿ seconds, bounded by the caller's AbortSignal and `maxRetries`.
 */
import dgram from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { MalformedResponseError, TrackerFailureError, TrackerTimeoutError, TrackerTransportError } from './errors.ts'
import { decodeCompactIPv4 } from './peers.ts'
import type { AnnounceEvent, AnnounceRequest, AnnounceResponse, ScrapeResponse, TransportOptions } from './types.ts'
import { DEFAULT_NUMWANT } from './http.ts'

/** BEP 15 magic constant sent in every connect request. */
export const PROTOCOL_ID = 0x41727101980n
export const ACTION_CONNECT = 0
export const ACTION_ANNOUNCE = 1
export const ACTION_SCRAPE = 2
export const ACTION_ERROR = 3
/** BEP 15: "a client can use a connection ID until one minute after it has received it". */
export const CONNECTION_ID_TTL_MS = 60_000
/** BEP 15: wait 15·2ⁿ seconds, n up to 8 (about an hour in total). */
export const DEFAULT_UDP_TIMEOUT_MS = 15_000
export const DEFAULT_UDP_MAX_RETRIES = 8
/** BEP 15 scrape: "up to about 74 torrents can be scraped at once". */
export const MAX_SCRAPE_HASHES = 74

const EVENT_CODE: Record<AnnounceEvent, number> = { completed: 1, started: 2, stopped: 3 }

export interface UdpTrackerInit {
  /** First retransmission timeout; doubles each retry. @default 15000 */
  timeoutMs?: number
  /** Retransmissions before giving up (BEP 15 says 8). @default 8 */
  maxRetries?: number
  localAddress?: string
  /** Clock, injectable for tests of connection id expiry. @default Date.now */
  now?: () => number
}

interface Waiter { resolve: (msg: Buffer) => void }

export class UdpTracker {
  readonly url: string
  private readonly host: string
  private readonly port: number
  private readonly timeoutMs: number
  private readonly maxRetries: number
  private readonly localAddress: string | undefined
  private readonly now: () => number
  private socket: dgram.Socket | null = null
  private bound: Promise<dgram.Socket> | null = null
  private connection: { id: Buffer, at: number } | null = null
  private readonly waiters = new Map<number, Waiter>()
  /** How many connect handshakes were made; tests check connection id reuse and expiry with it. */
  connects = 0

  constructor (url: string, init: UdpTrackerInit = {}) {
    const u = new URL(url)
    if (u.protocol !== 'udp:' || u.port === '') throw new TrackerTransportError(url, 'UDP tracker URL needs udp://host:port')
    this.url = url
    this.host = u.hostname.replace(/^\[|\]$/g, '')
    this.port = Number(u.port)
    this.timeoutMs = init.timeoutMs ?? DEFAULT_UDP_TIMEOUT_MS
    this.maxRetries = init.maxRetries ?? DEFAULT_UDP_MAX_RETRIES
    this.localAddress = init.localAddress
    this.now = init.now ?? Date.now
  }

  async announce (req: AnnounceRequest, options: TransportOptions = {}): Promise<AnnounceResponse> {
    const msg = await this.request(ACTION_ANNOUNCE, (connId, tid) => {
      const b = Buffer.alloc(98)
      connId.copy(b, 0)
      b.writeUInt32BE(ACTION_ANNOUNCE, 8)
      b.writeUInt32BE(tid, 12)
      b.set(req.infoHash, 16)
      b.set(req.peerId, 36)
      b.writeBigUInt64BE(BigInt(req.downloaded), 56)
      b.writeBigUInt64BE(BigInt(req.left), 64)
      b.writeBigUInt64BE(BigInt(req.uploaded), 72)
      b.writeUInt32BE(req.event === undefined ? 0 : EVENT_CODE[req.event], 80)
      b.writeUInt32BE(0, 84) // ip: 0 = use the packet's source address
      b.writeUInt32BE(req.key >>> 0, 88)
      b.writeInt32BE(req.numwant ?? DEFAULT_NUMWANT, 92)
      b.writeUInt16BE(req.port, 96)
      return b
    }, options.signal)
    if (msg.length < 20) throw new MalformedResponseError(this.url, `announce response of ${msg.length} bytes, need 20`)
    const peers = decodeCompactIPv4(msg.subarray(20))
    if (peers === null) throw new MalformedResponseError(this.url, `announce peer list of ${msg.length - 20} bytes is not a multiple of 6`)
    return {
      interval: msg.readUInt32BE(8),
      incomplete: msg.readUInt32BE(12),
      complete: msg.readUInt32BE(16),
      peers
    }
  }

  async scrape (infoHashes: Uint8Array[], options: TransportOptions = {}): Promise<ScrapeResponse> {
    if (infoHashes.length === 0 || infoHashes.length > MAX_SCRAPE_HASHES) {
      throw new RangeError(`scrape takes 1..${MAX_SCRAPE_HASHES} info hashes, got ${infoHashes.length}`)
    }
    const msg = await this.request(ACTION_SCRAPE, (connId, tid) => {
      const b = Buffer.alloc(16 + 20 * infoHashes.length)
      connId.copy(b, 0)
      b.writeUInt32BE(ACTION_SCRAPE, 8)
      b.writeUInt32BE(tid, 12)
      infoHashes.forEach((h, i) => { b.set(h, 16 + 20 * i) })
      return b
    }, options.signal)
    if (msg.length !== 8 + 12 * infoHashes.length) {
      throw new MalformedResponseError(this.url, `scrape response of ${msg.length} bytes for ${infoHashes.length} hashes`)
    }
    const out: ScrapeResponse = new Map()
    infoHashes.forEach((h, i) => {
      const o = 8 + 12 * i
      out.set(Buffer.from(h).toString('hex'), {
        complete: msg.readUInt32BE(o),
        downloaded: msg.readUInt32BE(o + 4),
        incomplete: msg.readUInt32BE(o + 8)
      })
    })
    return out
  }

  close (): void {
    this.socket?.close()
    this.socket = null
    this.bound = null
    this.connection = null
  }

  /** Forget the connection id now (as if a minute had passed). */
  expireConnection (): void {
    this.connection = null
  }

  /**
   * BEP 15's retry loop: attempt n waits timeoutMs·2ⁿ; a missing or expired connection id costs a connect
   * round first, counted against the same n.
   */
  private async request (action: number, build: (connId: Buffer, tid: number) => Buffer, signal?: AbortSignal): Promise<Buffer> {
    const started = this.now()
    for (let n = 0; n <= this.maxRetries; n++) {
      signal?.throwIfAborted()
      const wait = this.timeoutMs * 2 ** n
      if (this.connection === null || this.now() - this.connection.at >= CONNECTION_ID_TTL_MS) {
        this.connection = null
        const reply = await this.transact(ACTION_CONNECT, tid => {
          const b = Buffer.alloc(16)
          b.writeBigUInt64BE(PROTOCOL_ID, 0)
          b.writeUInt32BE(ACTION_CONNECT, 8)
          b.writeUInt32BE(tid, 12)
          return b
        }, wait, signal)
        if (reply === null) continue
        if (reply.length < 16) throw new MalformedResponseError(this.url, `connect response of ${reply.length} bytes, need 16`)
        this.connects++
        this.connection = { id: Buffer.from(reply.subarray(8, 16)), at: this.now() }
      }
      const connId = this.connection.id
      const reply = await this.transact(action, tid => build(connId, tid), wait, signal)
      if (reply !== null) return reply
    }
    throw new TrackerTimeoutError(this.url, this.now() - started)
  }

  /** Send one packet, wait up to `wait` ms for the reply with the same transaction id; null on timeout. */
  private async transact (action: number, build: (tid: number) => Buffer, wait: number, signal?: AbortSignal): Promise<Buffer | null> {
    const socket = await this.open()
    const tid = randomBytes(4).readUInt32BE(0)
    const packet = build(tid)
    return await new Promise<Buffer | null>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        this.waiters.delete(tid)
        signal?.removeEventListener('abort', onAbort)
      }
      const onAbort = (): void => { done(); reject(signal?.reason) }
      const timer = setTimeout(() => { done(); resolve(null) }, wait)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.set(tid, {
        resolve: msg => {
          done()
          const got = msg.readUInt32BE(0)
          if (got === ACTION_ERROR) reject(new TrackerFailureError(this.url, msg.subarray(8).toString('utf8')))
          else if (got !== action) reject(new MalformedResponseError(this.url, `expected action ${action}, got ${got}`))
          else resolve(msg)
        }
      })
      socket.send(packet, this.port, this.host, err => {
        if (err !== null && err !== undefined) { done(); reject(new TrackerTransportError(this.url, err.message, { cause: err })) }
      })
    })
  }

  private async open (): Promise<dgram.Socket> {
    if (this.bound !== null) return await this.bound
    const socket = dgram.createSocket('udp4')
    this.socket = socket
    socket.on('message', msg => {
      if (msg.length < 8) return // too short to carry a transaction id: not for us
      this.waiters.get(msg.readUInt32BE(4))?.resolve(msg)
    })
    socket.on('error', () => { /* a send error is reported through the send callback */ })
    this.bound = new Promise<dgram.Socket>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind({ port: 0, address: this.localAddress }, () => {
        socket.off('error', reject)
        socket.unref()
        resolve(socket)
      })
    })
    return await this.bound
  }
}
