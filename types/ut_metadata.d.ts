declare module 'ut_metadata' {
  import type { WireExtensionCtor } from 'bittorrent-protocol'
  export default function utMetadata(metadata?: Uint8Array): WireExtensionCtor
}
