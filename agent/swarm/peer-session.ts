import type { Downloader } from './downloader.ts'
import type { Uploader } from './uploader.ts'
import type { Peer } from './peer.ts'
import { formatAddress, parseAddress } from './address.ts'

/** Cap on a peer's advertised `reqq` we honour; more in flight only adds memory. */
const MAX_HONOURED_REQQ = 4096

export interface PeerSessionTarget {
  /** Null until a magnet's metadata arrives. */
  downloader(): Downloader | null
  uploader(): Uploader | null
  hasMetadata(): boolean
  countDownloaded(bytes: number): void
  /** The peer turned out to be a seed: true if we are one too and it should be dropped. */
  bothSeeds(): boolean
}

/** Route one handshaken peer's wire events to the downloader (their data) and uploader (their requests). */
export function routePeerEvents (peer: Peer, direction: 'in' | 'out', target: PeerSessionTarget): void {
  const wire = peer.wire
  if (direction === 'out') peer.listenAddress = wire.address
  wire.on('wire:extended', ({ handshake }) => {
    // BEP 10 `p`: the port an incoming peer listens on, which is what PEX must advertise.
    const port = handshake['p']
    if (direction === 'in' && typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536) {
      peer.listenAddress = formatAddress(parseAddress(wire.address).host, port)
    }
    const reqq = handshake['reqq']
    if (typeof reqq === 'number' && Number.isInteger(reqq) && reqq > 0) peer.reqq = Math.min(reqq, MAX_HONOURED_REQQ)
  })
  wire.on('wire:bitfield', ({ bits }) => {
    if (!target.hasMetadata()) return
    target.downloader()?.onBitfield(peer, bits)
    if (peer.isSeed && target.bothSeeds()) wire.destroy('both seeding')
  })
  wire.on('wire:have', ({ index }) => {
    if (target.hasMetadata()) target.downloader()?.onHave(peer, index)
  })
  wire.on('wire:unchoke', () => target.downloader()?.onUnchoke(peer))
  wire.on('wire:choke', () => target.downloader()?.onChoke(peer))
  wire.on('wire:interested', () => target.uploader()?.rechoke())
  wire.on('wire:uninterested', () => target.uploader()?.rechoke())
  wire.on('wire:piece', ({ index, offset, data }) => {
    target.countDownloaded(data.length)
    const downloader = target.downloader()
    if (downloader === null) { wire.destroy('protocol violation: block before metadata'); return }
    downloader.onBlock(peer, index, offset, data)
  })
  wire.on('wire:cancel', ({ index, offset, length }) => target.uploader()?.onCancel(peer, index, offset, length))
  wire.on('wire:request', ({ index, offset, length, respond }) => {
    const uploader = target.uploader()
    if (uploader === null) { respond(null); return }
    uploader.onRequest(peer, index, offset, length, respond)
  })
}
