/**
 * One BEP 5 DHT node per process (or per daemon), shared by every torrent it runs: bittorrent-dht on a
 * GuardedSocket, its id and contacts kept in the agent's home, and a lookup loop per torrent that announces our
 * listen port (unless read-only) and hands what it finds to that torrent's dialler.
 */
import DHT from 'bittorrent-dht'
import type { Logger } from 'pino'
import { formatAddress } from '../address.ts'
import { DhtListenError } from '../errors.ts'
import type { DhtPeerSource, FindInit } from '../discovery.ts'
import { AddressPolicy } from './address-policy.ts'
import { DropLog } from './drop-log.ts'
import { GuardedSocket, type GuardStats } from './guarded-socket.ts'
import { NodeStateFile } from './node-state.ts'

/**
 * The public routers clients bootstrap from (libtorrent's and Transmission's defaults). Only for people: every
 * test passes its own list (test/helpers/home.ts turns the DHT off unless a test asks for it).
 */
export const PUBLIC_BOOTSTRAP = ['router.bittorrent.com:6881', 'router.utorrent.com:6881', 'dht.transmissionbt.com:6881', 'dht.libtorrent.org:25401']
/** Peers handed to a torrent per lookup round; the dialler keeps at most 2,000 addresses anyway. */
export const MAX_PEERS_PER_LOOKUP = 200
/** First retry after a lookup; doubled after each round up to `refreshMs`. */
const FIRST_RETRY_MS = 2_000
/** BEP 5 peers expire from a node's store after ~30 min: re-announce well inside that. */
const DEFAULT_REFRESH_MS = 15 * 60_000
/** While the routing table is this small, a new contact re-runs every lookup soon: it may be the node that knows. */
const SMALL_TABLE = 8
const NEW_NODE_RERUN_MS = 500
const SAVE_INTERVAL_MS = 5 * 60_000
/**
 * bittorrent-dht's stores, bounded: peers announced to us (each a 6-byte entry), lookup tables kept for the
 * announce that follows a lookup, BEP 44 values (we do not accept puts; krpc-guard drops them).
 */
const STORE_LIMITS = { maxPeers: 2_000, maxTables: 64, maxValues: 1 }

export interface DhtNodeInit {
  /** UDP port; 0 picks a free one. @default 0 */
  port?: number
  /** Address to bind. @default '0.0.0.0' */
  host?: string
  /** `host:port` nodes to join through. @default PUBLIC_BOOTSTRAP */
  bootstrap?: string[]
  /** BEP 43: ask, never answer, never announce (a leecher that does not want to serve the DHT). @default false */
  readOnly?: boolean
  /** Accept private and loopback nodes and peers (a DHT on one machine or LAN). @default false */
  allowLocal?: boolean
  /** Where the node id and contacts are kept (`<home>/dht`); none: nothing is kept. */
  stateDir?: string
  /** Our own address as peers dial it, stored with our own announces so our node answers for us. */
  announceHost?: string
  /** @default 15 min */
  refreshMs?: number
  /** Datagrams per second one address may send us. @default 20 */
  perSourcePerSecond?: number
}

export interface DhtStats extends GuardStats { port: number, nodes: number, readOnly: boolean }

interface Lookup { infoHash: string, init: FindInit, delivered: number, timer: NodeJS.Timeout | null, delayMs: number, running: boolean, stop: (() => void) | null }

export class DhtNode implements DhtPeerSource {
  readonly name = 'dht'
  private readonly log: Logger
  private readonly policy: AddressPolicy
  private readonly drops: DropLog
  private readonly state: NodeStateFile | null
  private readonly lookups = new Map<string, Set<Lookup>>()
  private dht: DHT | null = null
  private socket: GuardedSocket | null = null
  private saveTimer: NodeJS.Timeout | null = null
  private boundPort = 0

  constructor (components: { logger: Logger }, private readonly init: DhtNodeInit = {}) {
    this.log = components.logger.child({ part: 'dht' })
    this.policy = new AddressPolicy(init.allowLocal === true, init.bootstrap ?? PUBLIC_BOOTSTRAP)
    this.drops = new DropLog(this.log)
    this.state = init.stateDir !== undefined ? new NodeStateFile(init.stateDir) : null
  }

  get port (): number { return this.boundPort }
  get readOnly (): boolean { return this.init.readOnly === true }
  /** Our node id, hex (after start). */
  get nodeId (): string { return this.dht === null ? '' : Buffer.from(this.dht.nodeId).toString('hex') }

  stats (): DhtStats {
    return { ...(this.socket?.stats() ?? { received: 0, dropped: 0, rateLimited: 0 }), port: this.boundPort, nodes: this.dht?.nodes.count() ?? 0, readOnly: this.readOnly }
  }

  /** Bind the socket and join through the bootstrap nodes and the saved contacts. Resolves once listening. */
  async start (options: { signal?: AbortSignal } = {}): Promise<void> {
    const saved = this.state?.load() ?? null
    const socket = new GuardedSocket({ policy: this.policy, drops: this.drops }, {
      readOnly: this.readOnly,
      ...(this.init.perSourcePerSecond !== undefined ? { perSourcePerSecond: this.init.perSourcePerSecond } : {})
    })
    const dht = new DHT({
      ...(saved !== null ? { nodeId: saved.id } : {}),
      bootstrap: this.init.bootstrap ?? PUBLIC_BOOTSTRAP,
      host: this.init.announceHost ?? false,
      socket,
      ...STORE_LIMITS
    })
    this.socket = socket
    this.dht = dht
    dht.on('peer', (peer: { host: string, port: number }, infoHash: Uint8Array) => this.onPeer(peer, Buffer.from(infoHash).toString('hex')))
    dht.on('warning', (err: unknown) => this.drops.drop(`dht warning: ${err instanceof Error ? err.message : String(err)}`, '-'))
    dht.on('node', () => this.onNewNode())
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(new DhtListenError(this.init.host ?? '0.0.0.0', this.init.port ?? 0, err.code ?? err.message))
      dht.once('error', onError)
      dht.listen(this.init.port ?? 0, this.init.host ?? '0.0.0.0', () => { dht.off('error', onError); resolve() })
    }).catch(async (err: unknown) => { await this.stop(); throw err })
    // After listening, a socket error (EACCES on a send, say) is logged, never fatal.
    dht.on('error', (err: Error) => this.log.warn({ err: err.message }, 'dht socket error'))
    this.boundPort = dht.address().port
    for (const n of saved?.nodes ?? []) dht.addNode({ host: n.host, port: n.port })
    this.saveTimer = setInterval(() => this.save(), SAVE_INTERVAL_MS)
    this.saveTimer.unref()
    options.signal?.addEventListener('abort', () => { this.stop().catch((err: Error) => this.log.error({ err }, 'dht stop failed')) }, { once: true })
    this.log.info({ port: this.boundPort, nodeId: this.nodeId.slice(0, 8), saved: saved?.nodes.length ?? 0, readOnly: this.readOnly, kept: saved?.owned ?? false }, 'dht listening')
  }

  /** Look up (and announce) `infoHash` now, then again with backoff, until `init.signal` aborts. */
  find (infoHash: string, init: FindInit): void {
    if (init.signal.aborted) return
    const l: Lookup = { infoHash, init, delivered: 0, timer: null, delayMs: FIRST_RETRY_MS, running: false, stop: null }
    let set = this.lookups.get(infoHash)
    if (set === undefined) { set = new Set(); this.lookups.set(infoHash, set) }
    set.add(l)
    init.signal.addEventListener('abort', () => {
      if (l.timer !== null) clearTimeout(l.timer)
      l.stop?.()
      set.delete(l)
      if (set.size === 0) this.lookups.delete(infoHash)
    }, { once: true })
    this.round(l)
  }

  /** BEP 5 `port` message: the peer at `host` runs a DHT node on `port`. */
  addNode (host: string, port: number): void {
    if (this.dht === null || !this.policy.allowsNode(host, port)) return
    this.dht.addNode({ host, port })
  }

  /** Save the id and contacts, close the socket. Safe to call twice. */
  async stop (): Promise<void> {
    const dht = this.dht
    if (dht === null) return
    this.dht = null
    if (this.saveTimer !== null) clearInterval(this.saveTimer)
    for (const set of this.lookups.values()) for (const l of set) { if (l.timer !== null) clearTimeout(l.timer); l.stop?.() }
    this.lookups.clear()
    this.saveFrom(dht)
    this.state?.release()
    await new Promise<void>(resolve => { dht.destroy(() => resolve()) })
  }

  private round (l: Lookup): void {
    const dht = this.dht
    if (dht === null || l.init.signal.aborted || l.running) return
    if (l.timer !== null) { clearTimeout(l.timer); l.timer = null }
    l.running = true
    l.delivered = 0
    const done = (err: Error | null): void => {
      l.running = false
      l.stop = null
      if (err !== null && this.dht !== null) this.log.debug({ err: err.message, infoHash: l.infoHash }, 'dht lookup ended with an error')
      if (this.dht === null || l.init.signal.aborted) return
      l.timer = setTimeout(() => this.round(l), l.delayMs)
      l.timer.unref()
      l.delayMs = Math.min(l.delayMs * 2, this.init.refreshMs ?? DEFAULT_REFRESH_MS)
    }
    // Always a fresh lookup, then announce_peer to the closest nodes that gave it a token. (bittorrent-dht's
    // announce() alone reuses the lookup table it cached for 5 minutes, even an empty one from before any node
    // answered: every round after a failed first one announced to nobody and looked nothing up.)
    const announce = !this.readOnly && l.init.port !== 0
    l.stop = dht.lookup(l.infoHash, (err) => {
      if (err !== null || !announce || this.dht !== dht || l.init.signal.aborted) { done(err); return }
      dht.announce(l.infoHash, l.init.port, done)
    })
  }

  private onPeer (peer: { host: string, port: number }, infoHash: string): void {
    const set = this.lookups.get(infoHash)
    if (set === undefined) return
    // Our own store is filled only through the guarded socket; checked again so no path skips the policy.
    if (!this.policy.allowsPeer(peer.host, peer.port)) { this.drops.drop('peer with a non-public address', `${peer.host}:${peer.port}`); return }
    for (const l of set) {
      if (l.delivered >= MAX_PEERS_PER_LOOKUP) continue
      l.delivered++
      l.init.onPeer(formatAddress(peer.host, peer.port))
    }
  }

  private onNewNode (): void {
    const dht = this.dht
    if (dht === null || dht.nodes.count() > SMALL_TABLE) return
    for (const set of this.lookups.values()) {
      for (const l of set) {
        if (l.running || l.init.signal.aborted) continue
        if (l.timer !== null) clearTimeout(l.timer)
        l.timer = setTimeout(() => this.round(l), NEW_NODE_RERUN_MS)
        l.timer.unref()
      }
    }
  }

  private save (): void { if (this.dht !== null) this.saveFrom(this.dht) }

  private saveFrom (dht: DHT): void {
    if (this.state === null) return
    try {
      this.state.save(dht.nodeId, dht.toJSON().nodes.map(n => ({ host: n.host, port: n.port })))
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not save the dht routing table')
    }
  }
}
