/** Errors raised by the swarm engine. Each carries the values that explain it. */

/** A .torrent file or magnet link is unusable; `field` names what is wrong. */
export class InvalidTorrentError extends Error {
  override readonly name = 'InvalidTorrentError'
  constructor (readonly source: string, readonly field: string, detail: string) {
    super(`invalid torrent ${source}: ${field}: ${detail}`)
  }
}

/** A `host:port` string that cannot be dialled. */
export class InvalidPeerAddressError extends Error {
  override readonly name = 'InvalidPeerAddressError'
  constructor (readonly address: string) {
    super(`invalid peer address "${address}": expected host:port with port 1-65535`)
  }
}

/** The data directory cannot hold the torrent's files (missing, wrong size, not writable). */
export class StorageError extends Error {
  override readonly name = 'StorageError'
  constructor (readonly path: string, detail: string, options?: { cause?: unknown }) {
    super(`storage ${path}: ${detail}`, options)
  }
}

/** The engine was asked to do something in the wrong lifecycle state. */
export class EngineStateError extends Error {
  override readonly name = 'EngineStateError'
  constructor (readonly state: string, readonly action: string) {
    super(`cannot ${action} while the engine is ${state}`)
  }
}

/** Metadata for a magnet link could not be fetched before the deadline. */
export class MetadataTimeoutError extends Error {
  override readonly name = 'MetadataTimeoutError'
  constructor (readonly infoHash: string, readonly ms: number) {
    super(`no peer sent the metadata for ${infoHash} within ${ms} ms`)
  }
}

/** A shared port already routes this info hash to another torrent (the same torrent added twice). */
export class PortRouteTakenError extends Error {
  override readonly name = 'PortRouteTakenError'
  constructor (readonly infoHash: string) {
    super(`torrent ${infoHash} is already served on this port`)
  }
}

/** The DHT's UDP socket could not be bound (`code`: EADDRINUSE, EACCES, …). */
export class DhtListenError extends Error {
  override readonly name = 'DhtListenError'
  constructor (readonly host: string, readonly port: number, readonly code: string) {
    super(`dht cannot listen on udp ${host}:${port}: ${code}`)
  }
}

/** An MSE/PE handshake failed or was refused; closes that connection only. `reason` is what the log says. */
export class MseError extends Error {
  override readonly name = 'MseError'
  constructor (readonly reason: string) {
    super(`encrypted handshake: ${reason}`)
  }
}
