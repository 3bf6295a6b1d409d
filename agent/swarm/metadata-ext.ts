import { EventEmitter } from 'node:events'
import utMetadata from 'ut_metadata'
import type Wire from 'bittorrent-protocol'
import type { WireExtension, WireExtensionCtor } from 'bittorrent-protocol'

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
