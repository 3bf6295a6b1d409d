/**
 * TrackerClient: announces one torrent to every tracker in its list, re-announces on each tracker's interval
 * (never sooner than its `min interval`), sends `started` / `completed` / `stopped`, and reports peers.
 *
 * Every tracker runs its own loop: a dead tracker never delays a live one. Announce lists (BEP 12 tiers) are
 * flattened and all trackers are used, as libtorrent's `announce_to_all_trackers` does; we want peers.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { TrackerError } from './errors.ts'
import { isValidPort } from './peers.ts'
import { createTransport, type TrackerTransport, type TransportInit } from './transport.ts'
import type { AnnounceEvent, AnnounceResponse, Peer, ScrapeEntry } from './types.ts'

/** Floor for any re-announce delay, so a tracker answering `interval 0` cannot make us spin. */
export const DEFAULT_MIN_ANNOUNCE_DELAY_MS = 1_000
/** First retry after a failed announce; doubles per consecutive failure up to MAX_RETRY_DELAY_MS. */
export const DEFAULT_RETRY_DELAY_MS = 15_000
export const MAX_RETRY_DELAY_MS = 30 * 60_000
/** How long `stop()` waits for trackers to take our `stopped`; shutting down must not hang on a tracker. */
export const DEFAULT_STOP_TIMEOUT_MS = 5_000

export interface TrackerStats {
  uploaded: number
  downloaded: number
  left: number
}

export interface TrackerClientComponents {
  logger: Logger
}

export interface TrackerClientInit extends TransportInit {
  /** Announce URLs (http, https, udp); tiers flattened. */
  announce: string[]
  /** 20-byte info hash, as bytes or 40 hex characters. */
  infoHash: Uint8Array | string
  /** 20-byte peer id, as bytes or 40 hex characters. */
  peerId: Uint8Array | string
  /** Port our peer listens on. */
  port: number
  getStats: () => TrackerStats
  /** Peers asked for per announce. @default 50 */
  numwant?: number
  /** @default 1000 */
  minAnnounceDelayMs?: number
  /** @default 15000 */
  retryDelayMs?: number
  /** @default 5000 */
  stopTimeoutMs?: number
}

export interface TrackerPeersEvent { url: string, peers: Peer[] }
export interface TrackerErrorEvent { url: string, error: Error }
export interface TrackerResponseEvent { url: string, event: AnnounceEvent | undefined, response: AnnounceResponse }

export interface TrackerClientEvents {
  'tracker:peers': [TrackerPeersEvent]
  'tracker:error': [TrackerErrorEvent]
  'tracker:response': [TrackerResponseEvent]
}

interface TrackerState {
  transport: TrackerTransport
  timer: NodeJS.Timeout | null
  /** Announces to one tracker run one at a time, in order. */
  queue: Promise<void>
  started: boolean
  completedSent: boolean
  /** completed() was called before `started` got through. */
  completedPending: boolean
  failures: number
  trackerId: string | undefined
}

function toBytes20 (v: Uint8Array | string, what: string): Uint8Array {
  const b = typeof v === 'string' ? Buffer.from(v, 'hex') : v
  if (b.length !== 20) throw new RangeError(`${what} must be 20 bytes, got ${b.length}`)
  return b
}

export class TrackerClient extends EventEmitter<TrackerClientEvents> {
  private readonly log: Logger
  private readonly init: TrackerClientInit
  private readonly infoHash: Uint8Array
  private readonly peerId: Uint8Array
  private readonly key = randomBytes(4).readUInt32BE(0)
  private readonly trackers: TrackerState[] = []
  private controller: AbortController | null = null
  private running = false

  constructor (components: TrackerClientComponents, init: TrackerClientInit) {
    super()
    this.log = components.logger.child({ component: 'tracker' })
    this.init = init
    this.infoHash = toBytes20(init.infoHash, 'infoHash')
    this.peerId = toBytes20(init.peerId, 'peerId')
    if (!isValidPort(init.port)) throw new RangeError(`port ${init.port} out of range`)
  }

  get isRunning (): boolean { return this.running }

  /** Send `started` to every tracker and keep announcing until `stop()` or the signal aborts. */
  async start (options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.running) return
    this.running = true
    this.controller = new AbortController()
    options.signal?.addEventListener('abort', () => {
      this.stop().catch(err => { this.log.error({ err }, 'tracker stop after abort failed') })
    }, { once: true })
    for (const url of new Set(this.init.announce)) {
      let transport: TrackerTransport
      try {
        transport = createTransport(url, this.init)
      } catch (err) {
        this.reportError(url, err)
        continue
      }
      const t: TrackerState = { transport, timer: null, queue: Promise.resolve(), started: false, completedSent: false, completedPending: false, failures: 0, trackerId: undefined }
      this.trackers.push(t)
      this.enqueue(t, 'started')
    }
  }

  /**
   * Tell every tracker we finished downloading (sent once, right away: events do not wait for the interval).
   * A tracker whose `started` is still pending gets `completed` after it only if that `started` said left > 0.
   */
  completed (): void {
    if (!this.running) return
    for (const t of this.trackers) {
      if (t.completedSent) continue
      t.completedSent = true
      if (t.started) this.enqueue(t, 'completed')
      else t.completedPending = true
    }
  }

  /** Announce to every tracker now, outside the schedule (e.g. when we are short of peers). */
  announceNow (): void {
    if (!this.running) return
    for (const t of this.trackers) this.enqueue(t, t.started ? undefined : 'started')
  }

  /** Scrape every tracker that supports it; trackers that fail are reported as 'tracker:error' and skipped. */
  async scrape (options: { signal?: AbortSignal } = {}): Promise<Map<string, ScrapeEntry>> {
    const out = new Map<string, ScrapeEntry>()
    const hex = Buffer.from(this.infoHash).toString('hex')
    const transports = this.running ? this.trackers.map(t => t.transport) : [...new Set(this.init.announce)].map(u => createTransport(u, this.init))
    await Promise.all(transports.map(async tr => {
      try {
        const res = await tr.scrape([this.infoHash], options)
        const entry = res.get(hex)
        if (entry !== undefined) out.set(tr.url, entry)
      } catch (err) {
        this.reportError(tr.url, err)
      } finally {
        if (!this.running) tr.close()
      }
    }))
    return out
  }

  /** Send `stopped` to every tracker that knows us (bounded by stopTimeoutMs), then stop all timers. */
  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.controller?.abort(new Error('tracker client stopped'))
    const signal = AbortSignal.timeout(this.init.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS)
    await Promise.all(this.trackers.map(async t => {
      if (t.timer !== null) clearTimeout(t.timer)
      t.timer = null
      if (!t.started) { t.transport.close(); return }
      try {
        await t.transport.announce(this.request(t, 'stopped'), { signal })
      } catch (err) {
        this.log.debug({ url: t.transport.url, err }, 'stopped announce failed')
      } finally {
        t.transport.close()
      }
    }))
    this.trackers.length = 0
  }

  private request (t: TrackerState, event: AnnounceEvent | undefined): Parameters<TrackerTransport['announce']>[0] {
    const stats = this.init.getStats()
    return {
      infoHash: this.infoHash,
      peerId: this.peerId,
      port: this.init.port,
      uploaded: Math.max(0, Math.floor(stats.uploaded)),
      downloaded: Math.max(0, Math.floor(stats.downloaded)),
      left: Math.max(0, Math.floor(stats.left)),
      event,
      numwant: event === 'stopped' ? 0 : this.init.numwant,
      key: this.key,
      trackerId: t.trackerId
    }
  }

  private enqueue (t: TrackerState, event: AnnounceEvent | undefined): void {
    t.queue = t.queue.then(async () => { await this.announceOne(t, event) })
      .catch(err => { this.log.error({ err, url: t.transport.url }, 'tracker announce loop failed') })
  }

  private async announceOne (t: TrackerState, event: AnnounceEvent | undefined): Promise<void> {
    if (!this.running || this.controller === null) return
    if (t.timer !== null) { clearTimeout(t.timer); t.timer = null }
    const url = t.transport.url
    const minDelay = this.init.minAnnounceDelayMs ?? DEFAULT_MIN_ANNOUNCE_DELAY_MS
    let delayMs: number
    let next: AnnounceEvent | undefined
    try {
      const req = this.request(t, event)
      const res = await t.transport.announce(req, { signal: this.controller.signal })
      if (!this.running) return
      t.failures = 0
      if (event === 'started') {
        t.started = true
        if (t.completedPending) {
          t.completedPending = false
          if (req.left > 0) this.enqueue(t, 'completed')
        }
      }
      if (res.trackerId !== undefined) t.trackerId = res.trackerId
      if (res.warning !== undefined) this.log.warn({ url, warning: res.warning }, 'tracker warning')
      delayMs = Math.max(res.interval, res.minInterval ?? 0) * 1000
      this.log.debug({ url, event, interval: res.interval, peers: res.peers.length }, 'announced')
      this.emit('tracker:response', { url, event, response: res })
      const peers = this.filterPeers(res.peers)
      if (peers.length > 0) this.emit('tracker:peers', { url, peers })
    } catch (err) {
      if (!this.running) return
      t.failures++
      this.reportError(url, err)
      delayMs = Math.min((this.init.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS) * 2 ** (t.failures - 1), MAX_RETRY_DELAY_MS)
      next = event === 'stopped' ? undefined : event // a failed event is retried, not lost
    }
    if (!t.started) next = 'started'
    else if (next === 'started') next = undefined
    t.timer = setTimeout(() => { this.enqueue(t, next) }, Math.max(delayMs, minDelay))
    t.timer.unref()
  }

  /** Drop invalid ports, duplicates and ourselves (a tracker returns our own entry back). */
  private filterPeers (peers: Peer[]): Peer[] {
    const seen = new Set<string>()
    const out: Peer[] = []
    for (const p of peers) {
      if (!isValidPort(p.port)) continue
      if (p.port === this.init.port && (p.host === this.init.localAddress || this.init.localAddress === undefined)) continue
      const k = `${p.host}:${p.port}`
      if (seen.has(k)) continue
      seen.add(k)
      out.push(p)
    }
    return out
  }

  private reportError (url: string, err: unknown): void {
    const error = err instanceof Error ? err : new TrackerError(url, String(err))
    this.log.debug({ url, err: error }, 'tracker error')
    this.emit('tracker:error', { url, error })
  }
}
