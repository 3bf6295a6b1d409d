/**
 * Collects, from the engine's and the payment layer's events, what stall.ts needs to explain a download that
 * makes no progress; on every engine tick it asks `explainStall` and hands a due reason to `onStall`.
 */
import type { TorrentEngine, PeerWire } from '../swarm/index.ts'
import type { PaymentEvents } from '../payment/index.ts'
import { ERROR_CODES, EXTENSION_NAME } from '../wire/messages.ts'
import { explainStall, QUICK_CLOSE_MS, StallReportPlan, type PeerFacts, type StallReason, type StallSnapshot } from './stall.ts'

/** The part of the payment agent the watch listens to. */
export interface PaymentEventSource {
  on: <K extends keyof PaymentEvents>(name: K, fn: (event: PaymentEvents[K]) => void) => unknown
}

export interface StallWatchInit {
  engine: TorrentEngine
  payments: PaymentEventSource | null
  maxPricePerMiB: bigint | null
  trackers: number
  directPeers: number
  /** Peer sources besides trackers and --peer that are on (`dht`, `lsd`). */
  discovery?: string[]
  magnet: boolean
  stallAfterMs: number
  /** A reason that is due (new, or changed and not repeated within 30 s). */
  onStall: (reason: StallReason) => void
  /** @default Date.now */
  now?: () => number
}

/** Closes the peer made (not us): a refusal right after the handshake looks like this. */
const PEER_CLOSED = /^(socket closed|remote ended connection|socket error|wire closed|wire finished)/
const WE_REFUSED = /^refused \(([a-z-]+)\): (.*)$/s
const PEER_REFUSED = /^peer error (\d+): (.*)$/s
const CODE_NAMES = new Map<number, string>(Object.entries(ERROR_CODES).map(([name, n]) => [n, name]))

export class StallWatch {
  private readonly init: StallWatchInit
  private readonly now: () => number
  private readonly facts = new Map<string, PeerFacts>()
  private readonly openWires = new Map<string, number>()
  private readonly addressOf = new Map<string, string>()
  private readonly plan = new StallReportPlan()
  private lastProgressAt: number
  private lastReceivedAt: number | null = null
  private downloaded = 0
  private verified: number
  private stopped = false

  constructor (init: StallWatchInit) {
    this.init = init
    this.now = init.now ?? Date.now
    this.lastProgressAt = this.now()
    this.verified = init.engine.stats().verifiedBytes
    const e = init.engine
    e.on('peer:dial-failed', ({ address, error }) => {
      const f = this.peer(address)
      f.dialFailures++
      f.lastDialError = error
    })
    e.on('wire:created', ({ wire }) => { this.watchWire(wire) })
    e.on('piece:verified', () => { this.progressed() })
    e.on('progress', (s) => {
      if (s.verifiedBytes > this.verified) { this.verified = s.verifiedBytes; this.progressed() }
      if (s.downloaded > this.downloaded) { this.downloaded = s.downloaded; this.lastReceivedAt = this.now() }
      this.check()
    })
    e.on('done', () => { this.stopped = true })
    const p = init.payments
    if (p !== null) {
      p.on('peer:refused', ({ peerId, code, msg, askedPricePerMiB }) => {
        const f = this.byPeerId(peerId)
        if (f === null) return
        f.refusal = { by: 'us', code, msg }
        if (askedPricePerMiB !== undefined) f.askedPricePerMiB = askedPricePerMiB
      })
      p.on('peer:ready', ({ peerId, hello }) => {
        const f = this.byPeerId(peerId)
        if (f === null) return
        f.refusal = null
        f.askedPricePerMiB = hello.pricePerMiB > 0n ? hello.pricePerMiB : null
      })
    }
  }

  stop (): void { this.stopped = true }

  /** Milliseconds since verified bytes last grew. */
  stalledForMs (): number { return this.now() - this.lastProgressAt }

  snapshot (): StallSnapshot {
    return {
      lastProgressAt: this.lastProgressAt,
      lastReceivedAt: this.lastReceivedAt,
      trackers: this.init.trackers,
      directPeers: this.init.directPeers,
      ...(this.init.discovery !== undefined ? { discovery: this.init.discovery } : {}),
      magnet: this.init.magnet,
      maxPricePerMiB: this.init.maxPricePerMiB,
      peers: [...this.facts.values()].map(f => ({ ...f }))
    }
  }

  /** The reason now, however long the stall (for the --stall-timeout error line). */
  reason (): StallReason | null { return explainStall(this.snapshot(), this.now(), 0) }

  private check (): void {
    if (this.stopped) return
    const reason = explainStall(this.snapshot(), this.now(), this.init.stallAfterMs)
    if (reason !== null && this.plan.due(reason, this.now())) this.init.onStall(reason)
  }

  private progressed (): void {
    this.lastProgressAt = this.now()
    this.plan.reset()
  }

  private peer (address: string): PeerFacts {
    let f = this.facts.get(address)
    if (f === undefined) {
      f = { address, dialFailures: 0, lastDialError: null, handshakes: 0, connected: false, quickCloses: 0, seedpay: false, askedPricePerMiB: null, refusal: null, everUnchoked: false, unchoked: false, hasPieces: null }
      this.facts.set(address, f)
    }
    return f
  }

  private byPeerId (peerId: string | null): PeerFacts | null {
    const address = peerId === null ? undefined : this.addressOf.get(peerId)
    return address === undefined ? null : this.peer(address)
  }

  private watchWire (wire: PeerWire): void {
    const address = wire.address
    let connectedAt: number | null = null
    wire.on('wire:handshake', ({ peerId }) => {
      const f = this.peer(address)
      f.handshakes++
      f.dialFailures = 0
      f.connected = true
      connectedAt = this.now()
      this.openWires.set(address, (this.openWires.get(address) ?? 0) + 1)
      this.addressOf.set(peerId, address)
    })
    wire.on('wire:extended', ({ handshake }) => {
      const m = handshake['m']
      if (typeof m === 'object' && m !== null && EXTENSION_NAME in m) this.peer(address).seedpay = true
    })
    wire.on('wire:unchoke', () => { const f = this.peer(address); f.unchoked = true; f.everUnchoked = true })
    wire.on('wire:choke', () => { this.peer(address).unchoked = false })
    wire.on('wire:have', () => { this.peer(address).hasPieces = true })
    wire.on('wire:bitfield', ({ bits }) => {
      const f = this.peer(address)
      f.hasPieces = f.hasPieces === true || bits.some(b => b !== 0)
    })
    wire.on('wire:close', ({ reason }) => {
      if (connectedAt === null) return
      const f = this.peer(address)
      const open = (this.openWires.get(address) ?? 1) - 1
      this.openWires.set(address, open)
      f.connected = open > 0
      if (!f.connected) f.unchoked = false
      const ours = WE_REFUSED.exec(reason)
      const theirs = PEER_REFUSED.exec(reason)
      if (ours !== null && f.refusal === null) f.refusal = { by: 'us', code: ours[1]!, msg: ours[2]! }
      else if (theirs !== null) f.refusal = { by: 'peer', code: CODE_NAMES.get(Number(theirs[1])) ?? `code ${theirs[1]!}`, msg: theirs[2]! }
      else if (PEER_CLOSED.test(reason) && this.now() - connectedAt < QUICK_CLOSE_MS) f.quickCloses++
      else if (this.now() - connectedAt >= QUICK_CLOSE_MS) f.quickCloses = 0
    })
  }
}
