/**
 * seedpay swarm engine: a BitTorrent peer (BEP 3, 9, 10, 11) on bittorrent-protocol.
 *
 * ```ts
 * const torrent = await loadTorrent('file.torrent')          // or a magnet: link, or a Buffer
 * const engine = new TorrentEngine({ logger }, { torrent, dataDir: '/data', peers: ['127.0.0.1:6881'] })
 * engine.on('piece:hashed', ({ index, bytesByPeer }) => ...)   // bytes count only after SHA-1 passes
 * await engine.start({ signal })                               // resolves once listening; engine.port
 * engine.addPeer('127.0.0.5:6881')
 * await engine.stop()
 * ```
 *
 * Init (see EngineInit): `torrent`, `dataDir`, `host` ('127.0.0.1'), `port` (0 = random), `peers`,
 * `announce` (tracker URLs; default the torrent's), `maxPeers` (200), `seed` (true: keep serving after done),
 * `extensions`, `uploadPolicy`, `uploadSlots` (4), `optimisticSlots` (1), `resumeFile`, `recheck` (false: trust
 * a matching resume file), `readOnly` (false; true: never write into dataDir, serve what verifies), `metadataOnly`
 * (magnet: fetch the info dictionary only), `pex` (true), `dht` (a shared DhtNode: BEP 5 lookups, announces, `port`
 * messages), `lsd` (an LsdSource: BEP 14),
 * `requestTimeoutMs` (30 s), `maxStrikes` (3), `connectTimeoutMs` (5 s), `metadataTimeoutMs` (120 s).
 *
 * Events (EngineEvents): 'wire:created' {wire} before the handshake; 'peer:connect' {peerId, address,
 * direction}; 'peer:close' {peerId, address, reason}; 'peer:banned' {peerId, address, reason};
 * 'piece:hashed' {index, bytesByPeer: Map<peerId hex, bytes>} (SHA-1 passed); 'piece:verified' (the same, once
 * on disk); 'piece:corrupt' {index, senders};
 * 'block:uploaded' {peerId, address, index, offset, length}; 'metadata' {meta}; 'progress' EngineStats
 * (every second); 'done' EngineStats; 'engine:error' {error}.
 *
 * Hooks for the payment layer:
 * - `init.extensions: Array<(wire: PeerWire) => WireExtensionCtor>` mounts a BEP 10 extension on every
 *   wire before the handshake (or listen to `'wire:created'` and call `wire.use(...)`). The extension class
 *   gets bittorrent-protocol's wire (`name`, `onHandshake`, `onExtendedHandshake`, `onMessage`).
 * - `init.uploadPolicy: UploadPolicy` decides who may be served (`canServe`, asked at every rechoke and
 *   again before each block is sent) and who goes first (`priority` > 0 uses reserved priority slots;
 *   ordinary peers keep the regular and optimistic slots). Call `engine.rechoke()` when an answer changes.
 * - `init.downloadPolicy: DownloadPolicy` caps what a peer may have served us ahead of verification
 *   (`maxOutstandingBytes`: requested + received-but-unverified), e.g. the credit a charging peer granted.
 * - `'block:uploaded'` counts bytes sent per peer; `'piece:hashed'` gives SHA-1-verified bytes per peer.
 */
export { TorrentEngine } from './engine.ts'
export type { EngineInit, EngineComponents, EngineEvents, EngineStats, PeerEvent, PeerInfo } from './engine-types.ts'
export { loadTorrent, parseMagnet, parseTorrentBuffer, createTorrentFile, magnetFor, metaFromInfo, type TorrentMeta, type MagnetLink, type TorrentSource, type TorrentFileEntry, type CreateTorrentInit } from './torrent-file.ts'
export { PeerWire, type PeerWireEvents, type WireExtensionCtor } from './peer-wire.ts'
export { Choker, openPolicy, type UploadPolicy, type ChokerPeer, type ChokerInit } from './choker.ts'
export { Picker, BLOCK_LENGTH, type BlockRequest, type CompletedPiece } from './picker.ts'
export { Storage } from './storage.ts'
export type { DownloadPolicy } from './downloader.ts'
export { RateMeter } from './peer.ts'
export { parseAddress, formatAddress } from './address.ts'
export { findSeedData, seedResumeFile } from './seed-location.ts'
export { PortRouter, ROUTING_PREFIX_BYTES, type PortRouterInit, type UnroutedReason } from './port-router.ts'
export { DhtNode, PUBLIC_BOOTSTRAP, type DhtNodeInit, type DhtStats } from './dht/index.ts'
export { LsdSource } from './lsd.ts'
export { readFileRange, ReaderStoppedError, type ReadableTorrent } from './file-reader.ts'
export { lookupOnly, type PeerSource, type DhtPeerSource, type FindInit } from './discovery.ts'
export * from './errors.ts'
