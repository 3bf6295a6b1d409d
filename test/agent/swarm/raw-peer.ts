import { createServer, connect, type Server, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import Wire from 'bittorrent-protocol'
import type { TorrentMeta } from '../../../agent/swarm/index.ts'

/**
 * A hand-driven BitTorrent peer built on bittorrent-protocol directly, for tests that need a peer to
 * misbehave in ways our engine never would.
 */
export const rawPeerId = (): string => Buffer.concat([Buffer.from('-XX0001-'), randomBytes(12)]).toString('hex')

export function fullBitfield (pieceCount: number): Uint8Array {
  const bits = new Uint8Array(Math.ceil(pieceCount / 8))
  for (let i = 0; i < pieceCount; i++) bits[i >> 3]! |= 0x80 >> (i & 7)
  return bits
}

export interface RawSeed { address: string, requests: () => number, close: () => Promise<void> }

/** A seed that claims every piece and answers requests with whatever `answer` returns (null: drop silently). */
export async function startRawSeed (meta: TorrentMeta, answer: (index: number, offset: number, length: number, n: number) => Uint8Array | null): Promise<RawSeed> {
  const sockets = new Set<Socket>()
  let requests = 0
  const server: Server = createServer(socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    const wire = new Wire('tcpIncoming')
    socket.pipe(wire as unknown as NodeJS.WritableStream)
    wire.pipe(socket)
    wire.on('error', () => {})
    wire.on('handshake', () => {
      wire.handshake(meta.infoHash, rawPeerId(), { dht: false, fast: false })
      wire.bitfield(fullBitfield(meta.pieceCount))
      wire.unchoke()
    })
    wire.on('request', ((index: number, offset: number, length: number, respond: (err: Error | null, buf?: Uint8Array) => void) => {
      const data = answer(index, offset, length, requests++)
      if (data !== null) respond(null, data)
    }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0
  return {
    address: `127.0.0.1:${port}`,
    requests: () => requests,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

/** A seed that answers every request with random bytes. */
export async function startCorruptSeed (meta: TorrentMeta): Promise<RawSeed> {
  return await startRawSeed(meta, (_i, _o, length) => randomBytes(length))
}

/** Open a TCP connection and send a valid handshake for `infoHash`; returns the socket once the remote's handshake arrived. */
export async function handshakeSocket (address: string, infoHash: string): Promise<Socket> {
  const [host, port] = address.split(':')
  const socket = connect({ host: host!, port: Number(port) })
  socket.on('error', () => {})
  const hs = Buffer.concat([
    Buffer.from([19]), Buffer.from('BitTorrent protocol'), Buffer.from([0, 0, 0, 0, 0, 0x10, 0, 0]),
    Buffer.from(infoHash, 'hex'), Buffer.from(rawPeerId(), 'hex')
  ])
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => socket.write(hs))
    let got = 0
    const onData = (d: Buffer): void => {
      got += d.length
      if (got >= 68) { socket.off('data', onData); resolve() }
    }
    socket.on('data', onData)
    socket.once('close', () => reject(new Error('closed before handshake')))
  })
  return socket
}

/** Resolves true if the remote closes the socket within `ms`. */
export async function closesWithin (socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return true
  return await new Promise<boolean>(resolve => {
    const t = setTimeout(() => resolve(false), ms)
    socket.once('close', () => { clearTimeout(t); resolve(true) })
    socket.resume()
  })
}

export const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b }
export const msg = (id: number, ...parts: Buffer[]): Buffer => { const body = Buffer.concat([Buffer.from([id]), ...parts]); return Buffer.concat([u32(body.length), body]) }

/** Wait until the seed has unchoked us (so the library passes our requests up instead of dropping them). */
export async function interestedAndUnchoked (socket: Socket): Promise<void> {
  socket.write(msg(2))
  await new Promise<void>((resolve, reject) => {
    let seen = Buffer.alloc(0)
    const t = setTimeout(() => reject(new Error('not unchoked')), 5000)
    const onData = (d: Buffer): void => {
      seen = Buffer.concat([seen, d])
      if (seen.includes(Buffer.from([0, 0, 0, 1, 1]))) { clearTimeout(t); socket.off('data', onData); resolve() }
    }
    socket.on('data', onData)
  })
}
