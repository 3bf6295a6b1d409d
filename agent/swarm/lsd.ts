/**
 * Local Service Discovery (BEP 14) on bittorrent-lsd: multicast BT-SEARCH announces on the LAN
 * (239.192.152.143:6771), one announcer per torrent, every 5 minutes. Peers found this way are on the LAN by
 * definition, so private addresses are expected here; what is bounded is how much one torrent takes from it.
 */
import LSD from 'bittorrent-lsd'
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { FindInit, PeerSource } from './discovery.ts'

/** BEP 14 announces are a few hundred bytes; a bigger datagram is not one (and is not worth parsing). */
const MAX_ANNOUNCE_BYTES = 1400
/** Peers one torrent takes from the LAN per minute: a LAN of that many seeders needs no more, a flood gets no more. */
const MAX_PEERS_PER_MINUTE = 50

/**
 * bittorrent-lsd's parser indexes lines that may not exist (`sections[1].split`): a one-line datagram from anyone
 * on the LAN throws inside its socket callback and would end the process. Every datagram goes through here first.
 */
class GuardedLsd extends LSD {
  override _parseAnnounce (announce: string): ReturnType<LSD['_parseAnnounce']> {
    if (announce.length > MAX_ANNOUNCE_BYTES) { this.emit('warning', `oversized LSD datagram (${announce.length} bytes)`); return null }
    if (announce.split('\r\n').length < 4) { this.emit('warning', 'Invalid LSD announce (too few lines)'); return null }
    try {
      return super._parseAnnounce(announce)
    } catch (err) {
      this.emit('warning', `Invalid LSD announce (${(err as Error).message})`)
      return null
    }
  }
}

export class LsdSource implements PeerSource {
  readonly name = 'lsd'
  private readonly log: Logger
  /** BEP 14's cookie: lets us ignore our own announces looped back by the multicast group. */
  private readonly peerId = randomBytes(20).toString('hex')

  constructor (components: { logger: Logger }) {
    this.log = components.logger.child({ part: 'lsd' })
  }

  find (infoHash: string, init: FindInit): void {
    if (init.signal.aborted || init.port === 0) return
    const lsd = new GuardedLsd({ peerId: this.peerId, infoHash, port: init.port })
    let windowStart = Date.now()
    let taken = 0
    let warned = 0
    lsd.on('peer', (address: string, hash: string) => {
      if (hash.toLowerCase() !== infoHash) return
      const now = Date.now()
      if (now - windowStart >= 60_000) { windowStart = now; taken = 0 }
      if (taken >= MAX_PEERS_PER_MINUTE) return
      taken++
      init.onPeer(address)
    })
    // One line per reason and minute at most: anyone on the LAN can send garbage to 6771.
    lsd.on('warning', (w: unknown) => {
      const now = Date.now()
      if (now - warned < 60_000) return
      warned = now
      this.log.warn({ reason: w instanceof Error ? w.message : String(w) }, 'lsd datagram dropped')
    })
    lsd.on('error', (err: Error) => this.log.warn({ err: err.message }, 'lsd socket error'))
    try {
      lsd.start()
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'lsd could not start')
      return
    }
    init.signal.addEventListener('abort', () => { lsd.destroy() }, { once: true })
  }
}
