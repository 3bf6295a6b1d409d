import type { EventEmitter } from 'node:events'
import bencode from 'bencode'
import type { Logger } from 'pino'
import utMetadata from 'ut_metadata'
import type Wire from 'bittorrent-protocol'
import type { WireExtension, WireExtensionCtor } from 'bittorrent-protocol'
import type { PeerWire } from './peer-wire.ts'
import { metaFromInfo, type TorrentMeta } from './torrent-file.ts'

/** What we use of a ut_metadata (BEP 9) instance. */
export interface MetadataHandle {
  fetch(): void
  on(event: 'metadata', fn: (torrent: Uint8Array) => void): void
  on(event: 'warning', fn: (err: Error) => void): void
}

type Instance = WireExtension & MetadataHandle & EventEmitter

/**
 * ut_metadata, hardened: the upstream handler indexes its buffer with the peer's `piece` number and can
 * throw inside the wire's parser, so any throw here closes only that peer via `onError`.
 */
export function metadataExtension (
  metadata: Uint8Array | undefined,
  onInstance: (ext: MetadataHandle) => void,
  onError: (err: Error) => void
): WireExtensionCtor {
  const Base = utMetadata(metadata) as unknown as new (wire: Wire) => Instance
  class Hardened extends Base {
    constructor (wire: Wire) {
      super(wire)
      onInstance(this)
    }

    override onMessage (buf: Uint8Array): void {
      try {
        super.onMessage?.(buf)
      } catch (err) {
        onError(err instanceof Error ? err : new Error(String(err)))
      }
    }
  }
  Object.defineProperty(Hardened.prototype, 'name', { value: 'ut_metadata' })
  return Hardened as unknown as WireExtensionCtor
}

export interface MountMetadataInit {
  infoHash: string
  /** Known metadata (we serve it) or null (we fetch it). */
  meta: TorrentMeta | null
  announce: string[]
  logger: Logger
  /** Whether metadata arrived meanwhile (from another peer). */
  have(): boolean
  onMeta(meta: TorrentMeta): Promise<void>
}

/**
 * Mount ut_metadata on a wire: serve our info dictionary, or (magnet) fetch it once the peer's extended
 * handshake says it has it. The fetched dictionary must hash to the info hash (metaFromInfo checks).
 */
export function mountMetadata (wire: PeerWire, init: MountMetadataInit): void {
  let handle: MetadataHandle | null = null
  wire.use(metadataExtension(init.meta?.infoBuffer, h => { handle = h }, err => wire.destroy(`bad ut_metadata message: ${err.message}`)))
  if (init.meta !== null) return
  wire.on('wire:extended', () => {
    if (init.have() || handle === null) return
    const h: MetadataHandle = handle
    h.on('warning', (err) => init.logger.debug({ err: err.message }, 'ut_metadata'))
    h.on('metadata', (torrent) => {
      const info = (bencode.decode(torrent) as { info: unknown }).info
      metaFromInfo(bencode.encode(info), init.infoHash, init.announce)
        .then(async meta => { if (!init.have()) await init.onMeta(meta) })
        .catch((err: Error) => init.logger.warn({ err: err.message }, 'metadata rejected'))
    })
    h.fetch()
  })
}
