// Minimal types for bittorrent-protocol@5. Only agent/swarm/peer-wire.ts touches this module;
// everything else sees our typed PeerWire.
declare module 'bittorrent-protocol' {
  import type { Duplex } from 'streamx'

  export interface WireExtension {
    name?: string
    onHandshake?(infoHash: string, peerId: string, extensions: Record<string, boolean>): void
    onExtendedHandshake?(handshake: Record<string, unknown>): void
    onMessage?(buf: Uint8Array): void
  }
  export type WireExtensionCtor = (new (wire: Wire) => WireExtension) & { prototype: { name: string } }

  export interface PeerBitField { get(index: number): boolean; buffer: Uint8Array }

  export default class Wire {
    constructor(type?: string, peEnabled?: number)
    /** MSE/PE as initiator (peEnabled 1 or 2); used by tests as a second implementation of the spec. */
    startEncryption(infoHash: string): void
    /** MSE/PE responder: the info hash its 'crypto-infohash' (HASH('req2', SKEY), hex) names. */
    setInfoHash(infoHash: string): void
    peerId: string | null
    amChoking: boolean
    amInterested: boolean
    peerChoking: boolean
    peerInterested: boolean
    peerPieces: PeerBitField
    peerExtensions: Record<string, boolean>
    extendedHandshake: Record<string, unknown>
    peerExtendedHandshake: Record<string, unknown>
    peerExtendedMapping: Record<string, number>
    destroyed: boolean
    use(ext: WireExtensionCtor): void
    handshake(infoHash: string | Uint8Array, peerId: string | Uint8Array, extensions?: Record<string, boolean>): void
    setKeepAlive(enable: boolean): void
    /** BEP 5 port message. */
    port(port: number): void
    keepAlive(): void
    choke(): void
    unchoke(): void
    interested(): void
    uninterested(): void
    have(index: number): void
    bitfield(bitfield: Uint8Array): void
    request(index: number, offset: number, length: number, cb: (err: Error | null, buf?: Uint8Array) => void): void
    piece(index: number, offset: number, buffer: Uint8Array): void
    cancel(index: number, offset: number, length: number): void
    extended(ext: number | string, obj: Uint8Array | Record<string, unknown>): void
    destroy(): void
    end(): void
    write(chunk: Uint8Array): boolean
    /** streamx Readable.push: queue bytes on the outgoing stream, in order with the library's own. */
    push(chunk: Uint8Array | null): boolean
    pipe<T extends NodeJS.WritableStream>(dest: T): T
    pause(): this
    resume(): this
    on(event: string, listener: (...args: never[]) => void): this
    once(event: string, listener: (...args: never[]) => void): this
    removeListener(event: string, listener: (...args: never[]) => void): this
    emit(event: string, ...args: unknown[]): boolean
  }
  export type { Duplex }
}
