/**
 * seedpay swarm engine: a BitTorrent peer (BEP 3, 9, 10) on bittorrent-protocol.
 *
 * ```ts
 * const torrent = await loadTorrent('file.torrent')          // or a magnet: link, or a Buffer
 * const engine = new TorrentEngine({ logger }, { torrent, dataDir: '/data', peers: ['127.0.0.1:6881'] })
 * engine.on('piece:verified', ({ index, bytesByPeer }) => ...) // bytes count only after SHA-1 passes
 * await engine.start({ signal })
 * ```
 *
 * Hooks for the payment layer:
 * - `init.extensions: Array<(wire: PeerWire) => WireExtensionCtor>` mounts a BEP 10 extension on every
 *   wire before the handshake (or listen to `'wire:created'` and call `wire.use(...)`).
 * - `init.uploadPolicy: UploadPolicy` decides who may be served (`canServe`) and who goes first
 *   (`priority` > 0 uses reserved priority slots; ordinary peers keep the regular slots).
 * - `'block:uploaded'` counts bytes sent per peer; `'piece:verified'` gives verified bytes per peer.
 */
export { TorrentEngine } from './engine.ts'
export type { EngineInit, EngineComponents, EngineEvents, EngineStats, PeerEvent } from './engine-types.ts'
export { loadTorrent, parseMagnet, parseTorrentBuffer, createTorrentFile, magnetFor, metaFromInfo, type TorrentMeta, type MagnetLink, type TorrentSource, type TorrentFileEntry, type CreateTorrentInit } from './torrent-file.ts'
export { PeerWire, type PeerWireEvents, type WireExtensionCtor } from './peer-wire.ts'
export { Choker, openPolicy, type UploadPolicy, type ChokerPeer, type ChokerInit } from './choker.ts'
export { Picker, BLOCK_LENGTH, type BlockRequest, type CompletedPiece } from './picker.ts'
export { Storage } from './storage.ts'
export { parseAddress, formatAddress } from './address.ts'
export * from './errors.ts'
