/**
 * Two seedpay agents as real BitTorrent peers on 127.0.0.1: bittorrent-protocol wires over TCP sockets, a
 * minimal serve loop (one seeder, whole content; the full swarm engine is tested elsewhere) and a leecher
 * that verifies each piece's SHA-1 before paying for it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import Wire from 'bittorrent-protocol'
import type { PaymentHost, PaymentTerms } from '../../agent/payment/index.ts'

/** A PaymentAgent, or PaymentNetworks over several (one per network): what the peers below are mounted on. */
export type PeerHost = Pick<PaymentHost, 'extension' | 'on' | 'off' | 'onUploaded' | 'onVerified'> & {
  mayServe: (peerId: string, length: number, terms?: PaymentTerms) => boolean
  settling: (peerId: string, terms?: PaymentTerms) => Promise<void> | null
}

export const BLOCK = 16 * 1024

export interface Content { data: Buffer, pieceLength: number, hashes: Buffer[], infoHash: string }

export function makeContent (bytes: number, pieceLength: number, seed = 1): Content {
  const data = Buffer.alloc(bytes)
  let x = seed
  for (let i = 0; i < bytes; i += 4) { x = (x * 1103515245 + 12345) >>> 0; data.writeUInt32LE(x, i) }
  const hashes: Buffer[] = []
  for (let off = 0; off < bytes; off += pieceLength) hashes.push(createHash('sha1').update(data.subarray(off, off + pieceLength)).digest())
  return { data, pieceLength, hashes, infoHash: createHash('sha1').update(Buffer.concat(hashes)).digest('hex') }
}

function pipe (socket: Socket, wire: Wire): void {
  socket.pipe(wire as unknown as NodeJS.WritableStream)
  wire.pipe(socket)
  socket.on('error', () => wire.destroy())
  socket.on('close', () => wire.destroy())
  wire.on('close', () => socket.destroy())
}

export interface Seeder { port: number, peerId: string, served: Map<string, number>, wires: Set<Wire>, close: () => Promise<void> }

/** Serves `content` to anyone, asking `agent` before each block and reporting each block served. */
/** A seeder of `content` on its own port; `terms` sells it at its own price, in its own scope (PaymentTerms). */
export async function startSeeder (agent: PeerHost, content: Content, peerId = randomBytes(20).toString('hex'), terms?: PaymentTerms): Promise<Seeder> {
  const served = new Map<string, number>()
  const wires = new Set<Wire>()
  const byPeer = new Map<string, Wire>()
  agent.on('peer:unpaid', ({ peerId }) => { if (peerId !== null) byPeer.get(peerId)?.choke() })
  agent.on('peer:paid-up', ({ peerId }) => { if (peerId !== null) byPeer.get(peerId)?.unchoke() })
  agent.on('peer:ready', ({ peerId }) => {
    const w = peerId === null ? undefined : byPeer.get(peerId)
    if (w !== undefined && w.peerInterested) w.unchoke()
  })
  const server: Server = createServer(socket => {
    const wire = new Wire('tcpIncoming')
    wires.add(wire)
    pipe(socket, wire)
    wire.use(agent.extension({ initiator: false, localPeerId: () => peerId }, terms))
    let remote = ''
    wire.on('handshake', (infoHash: string, id: string) => {
      remote = id
      byPeer.set(id, wire)
      wire.handshake(infoHash, peerId)
      const pieces = content.hashes.length
      const bits = Buffer.alloc(Math.ceil(pieces / 8), 0xff)
      wire.bitfield(bits)
    })
    wire.on('interested', () => { if (agent.mayServe(remote, BLOCK, terms)) wire.unchoke() })
    const serve = (index: number, offset: number, length: number, respond: (err: Error | null, buf?: Uint8Array) => void): void => {
      if (!agent.mayServe(remote, length, terms)) {
        // a receipt being stored may pay for it: ask again once it is done (as the engine's uploader does)
        const settling = agent.settling(remote, terms)
        if (settling !== null) { settling.then(() => { if (!wire.destroyed) serve(index, offset, length, respond) }, () => {}); return }
        wire.choke(); respond(new Error('not paid')); return
      }
      const start = index * content.pieceLength + offset
      agent.onUploaded(remote, length, terms)
      served.set(remote, (served.get(remote) ?? 0) + length)
      respond(null, content.data.subarray(start, start + length))
    }
    wire.on('request', serve)
    wire.on('close', () => { wires.delete(wire); if (byPeer.get(remote) === wire) byPeer.delete(remote) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    port, peerId, served, wires,
    close: async () => {
      for (const w of wires) w.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

export interface LeechInit {
  /** Pay for verified pieces. @default true */
  pay?: boolean
  /** Give up after this long without progress. @default 2000 */
  stallMs?: number
  /** Stop after this many pieces. @default all */
  pieces?: number
  /** Blocks requested at once. @default 32 */
  pipeline?: number
  /** Called for every block received, with its piece index and the bytes received so far (this block included). */
  onBlock?: (index: number, received: number) => void
}

export interface Leech { wire: Wire, peerId: string, remotePeerId: Promise<string>, done: Promise<{ verified: number, received: number, stalled: boolean }> }

/** Connects to a seeder and downloads pieces in order, paying after each verified piece. */
export function leech (agent: PeerHost, port: number, content: Content, init: LeechInit = {}): Leech {
  const peerId = randomBytes(20).toString('hex')
  const socket = connect(port, '127.0.0.1')
  const wire = new Wire('tcpOutgoing')
  pipe(socket, wire)
  wire.use(agent.extension({ initiator: true, localPeerId: () => peerId }))
  wire.handshake(content.infoHash, peerId)
  // a peer gone before its handshake (killed, refused) must end `done`, not leave it waiting forever
  const remotePeerId = new Promise<string>((resolve, reject) => {
    wire.once('handshake', (_ih: string, id: string) => resolve(id))
    wire.once('close', () => reject(new Error('closed before handshake')))
  })
  const done = (async () => {
    const remote = await remotePeerId
    await new Promise<void>((resolve, reject) => {
      const onReady = ({ peerId }: { peerId: string | null }): void => { if (peerId === remote) { agent.off('peer:ready', onReady); resolve() } }
      agent.on('peer:ready', onReady)
      wire.once('close', () => reject(new Error('closed before hello')))
    })
    wire.interested()
    const total = init.pieces ?? content.hashes.length
    const stallMs = init.stallMs ?? 2000
    let verified = 0
    let received = 0
    for (let index = 0; index < total; index++) {
      const size = Math.min(content.pieceLength, content.data.length - index * content.pieceLength)
      const blocks = new Map<number, Buffer>()
      let lastProgress = Date.now()
      while (blocks.size * BLOCK < size) {
        if (wire.destroyed) return { verified, received, stalled: true }
        if (Date.now() - lastProgress > stallMs) return { verified, received, stalled: true }
        if (wire.peerChoking) { await sleep(5); continue }
        const missing: number[] = []
        for (let off = 0; off < size; off += BLOCK) if (!blocks.has(off)) missing.push(off)
        await Promise.all(missing.slice(0, init.pipeline ?? 32).map(async off => {
          const len = Math.min(BLOCK, size - off)
          const buf = await new Promise<Buffer | null>(resolve => wire.request(index, off, len, (err, b) => resolve(err === null && b !== undefined ? Buffer.from(b) : null)))
          if (buf !== null) { blocks.set(off, buf); received += len; lastProgress = Date.now(); init.onBlock?.(index, received) }
        }))
      }
      const piece = Buffer.concat([...blocks.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]))
      if (!createHash('sha1').update(piece).digest().equals(content.hashes[index]!)) throw new Error(`piece ${index} failed SHA-1`)
      verified += size
      if (init.pay ?? true) agent.onVerified(new Map([[remote, size]]))
    }
    return { verified, received, stalled: false }
  })()
  return { wire, peerId, remotePeerId, done }
}

export async function sleep (ms: number): Promise<void> { await new Promise(resolve => setTimeout(resolve, ms)) }

export async function until (cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(5)
  }
}
