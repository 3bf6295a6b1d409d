import type { Logger } from 'pino'
import { MAX_BLOCK_LENGTH } from './frame-reader.ts'
import type { Peer } from './peer.ts'
import type { Picker } from './picker.ts'
import type { Storage } from './storage.ts'
import { Choker, RECHOKE_INTERVAL_MS, type ChokerInit } from './choker.ts'
import { releaseChunk } from './lent-buffers.ts'

/** Requests we advertise we can queue per peer (BEP 10 `reqq`); fast peers need hundreds in flight. */
export const OUR_REQQ = 1000
/** A peer with more unanswered requests than this is flooding us (twice what we advertised). */
const MAX_PEER_PENDING = 2 * OUR_REQQ

export interface UploaderHooks {
  uploaded(peer: Peer, index: number, offset: number, length: number): void
  violation(peer: Peer, reason: string): void
}

/** Serves block requests from disk and runs the choker. */
export class Uploader {
  private readonly log: Logger
  private readonly storage: Storage
  private readonly picker: Picker
  private readonly peers: ReadonlyMap<string, Peer>
  private readonly hooks: UploaderHooks
  readonly choker: Choker
  private timer: NodeJS.Timeout | null = null

  constructor (
    components: { logger: Logger, storage: Storage, picker: Picker, peers: ReadonlyMap<string, Peer>, hooks: UploaderHooks },
    init: ChokerInit = {}
  ) {
    this.log = components.logger
    this.storage = components.storage
    this.picker = components.picker
    this.peers = components.peers
    this.hooks = components.hooks
    this.choker = new Choker(init)
  }

  start (): void {
    this.timer = setInterval(() => this.rechoke(true), RECHOKE_INTERVAL_MS)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  /** Recompute who is unchoked; `tick` rotates the optimistic slot. Cheap enough to call on any change. */
  rechoke (tick = false): void {
    const peers = [...this.peers.values()].filter(p => !p.wire.isClosed)
    const unchoke = this.choker.select(peers, this.picker.done, tick)
    for (const p of peers) {
      if (unchoke.has(p.id)) {
        p.wire.unchoke()
      } else if (!p.wire.amChoking) {
        // Choking drops the peer's queued requests (BEP 3); reads still in flight are now stale.
        p.wire.choke()
        for (const slot of p.serving.values()) slot.cancelled = slot.inflight
      }
    }
  }

  /** The peer cancelled a request: if we are still reading it, that read must not answer a later equal request. */
  onCancel (peer: Peer, index: number, offset: number, length: number): void {
    const slot = peer.serving.get(`${index}:${offset}:${length}`)
    if (slot !== undefined && slot.cancelled < slot.inflight) slot.cancelled++
  }

  onRequest (peer: Peer, index: number, offset: number, length: number, respond: (data: Uint8Array | null) => void): void {
    if (index >= this.picker.pieceCount) {
      this.hooks.violation(peer, `request for piece ${index} of ${this.picker.pieceCount}`)
      return
    }
    const size = this.picker.pieceSize(index)
    if (length === 0 || length > MAX_BLOCK_LENGTH || offset + length > size) {
      this.hooks.violation(peer, `request ${index}:${offset}+${length} outside piece of ${size}`)
      return
    }
    if (peer.reading >= MAX_PEER_PENDING) {
      this.hooks.violation(peer, `more than ${MAX_PEER_PENDING} requests outstanding`)
      return
    }
    if (!this.picker.hasPiece(index)) {
      respond(null)
      return
    }
    this.serve(peer, index, offset, length, respond)
  }

  /** Reads and sends a valid request, if the policy lets it (asked before the read and again after it). */
  private serve (peer: Peer, index: number, offset: number, length: number, respond: (data: Uint8Array | null) => void): void {
    if (!this.choker.policy.canServe(peer)) {
      this.refused(peer, () => { this.serve(peer, index, offset, length, respond) }, () => { respond(null) })
      return
    }
    peer.reading++
    const key = `${index}:${offset}:${length}`
    const slot = peer.serving.get(key) ?? { inflight: 0, cancelled: 0 }
    slot.inflight++
    peer.serving.set(key, slot)
    this.storage.read(index, offset, length).then(data => {
      peer.reading--
      slot.inflight--
      const stale = slot.cancelled > 0
      if (stale) slot.cancelled--
      if (slot.inflight === 0) peer.serving.delete(key)
      // A block we do not send goes back to the read cache's pool (PeerWire releases those it writes).
      if (stale || peer.wire.isClosed || peer.wire.amChoking) { releaseChunk(data); return }
      this.send(peer, index, offset, length, data, respond)
    }).catch((err: Error) => {
      peer.reading--
      slot.inflight--
      if (slot.inflight === 0) peer.serving.delete(key)
      this.log.error({ err, index, offset }, 'read for upload failed')
      respond(null)
    })
  }

  /** Sends a block read for a request, if the policy still lets it: it may have changed while we read (a payer ran out of credit). */
  private send (peer: Peer, index: number, offset: number, length: number, data: Uint8Array, respond: (data: Uint8Array | null) => void): void {
    if (!this.choker.policy.canServe(peer)) {
      this.refused(peer, () => {
        if (peer.wire.isClosed || peer.wire.amChoking) releaseChunk(data)
        else this.send(peer, index, offset, length, data, respond)
      }, () => { releaseChunk(data) })
      return
    }
    respond(data)
    peer.up.add(length)
    this.hooks.uploaded(peer, index, offset, length)
  }

  /**
   * The policy refused a block. While its decision is settling (a receipt being stored), the request waits for
   * that, counted in the peer's outstanding requests, and is asked again (`retry`), unless the peer was choked or
   * closed meanwhile (`drop`). Otherwise: without BEP 6 a dropped request is never answered, and the peer would
   * wait out its request timeout, so it is choked (rechoke asks the same policy), which tells it to drop its queue
   * and ask again once unchoked.
   */
  private refused (peer: Peer, retry: () => void, drop: () => void): void {
    const settling = this.choker.policy.settling?.(peer) ?? null
    if (settling === null) {
      drop()
      this.rechoke()
      return
    }
    peer.reading++
    settling.then(() => {
      peer.reading--
      if (peer.wire.isClosed || peer.wire.amChoking) drop()
      else retry()
    }, () => { peer.reading--; drop() })
  }
}
