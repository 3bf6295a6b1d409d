/**
 * The `seedpay` BEP 10 extension: one instance per peer wire, mounted with `wire.use(seedpayExtension(...))`.
 * It owns the message format and the state machine (hello exchange, then receipts) and reports typed events;
 * what a receipt is worth and whether to keep the peer is decided by its user (agent/payment).
 * A protocol violation closes only this peer, never throws into bittorrent-protocol's parser.
 *
 * State machine (docs/protocol.md):
 *   idle ──peer's extended handshake has m.seedpay──▶ awaiting-hello (the initiator picks a network, `select`,
 *        from the peer's `seedpay_nets` offers, then sends its hello here)
 *   awaiting-hello ──peer's hello──▶ ready (the responder picks the network of that hello, `select`, and answers
 *        with its hello, carrying `last`)
 *   (ready means the hellos were exchanged; whether the peer's `proof` holds is its user's to check)
 *   ready ──rcpt / credit──▶ ready;   any state ──err / violation / refusal──▶ closing ──▶ closed
 */
import type Wire from 'bittorrent-protocol'
import type { WireExtension, WireExtensionCtor } from 'bittorrent-protocol'
import type { Logger } from 'pino'
import { TypedEmitter } from '../util/typed-emitter.ts'
import { ProtocolViolationError, WireStateError, type ViolationCode } from './errors.ts'
import { decodeMessage, encodeMessage, ERROR_CODES, EXTENSION_NAME, type ErrorName, type HelloMessage } from './messages.ts'
import { decodeOffers, encodeOffers, OFFERS_KEY, type NetworkOffer } from './offers.ts'
import type { SignedReceipt } from '../pay/receipt.ts'

/** A peer announcing seedpay must say hello promptly; 30 s is generous even on a congested link. */
const DEFAULT_HELLO_TIMEOUT_MS = 30_000
/** After sending `err` we wait this long so it reaches the peer before the connection is torn down. */
const ERR_LINGER_MS = 100

export type SeedpayState = 'idle' | 'awaiting-hello' | 'ready' | 'closing' | 'closed'

/** What a hello proof binds besides the account: both BitTorrent peer ids and the info hash, 40 hex digits each. */
export interface HelloIds {
  /** Our peer id, as we sent it in our BEP 3 handshake. */
  local: string
  /** The peer's id from its BEP 3 handshake. */
  remote: string
  /** The info hash from the peer's BEP 3 handshake (the torrent of this connection). */
  infoHash: string
}

export interface SeedpayEvents {
  /** Hello exchange done: `hello` is the peer's. Check its terms and its proof (signed over `ids`, seen from the peer) now. */
  'peer:hello': { hello: HelloMessage, ids: HelloIds }
  /** The peer sent a well-formed receipt (not yet verified). */
  'receipt:received': { receipt: SignedReceipt }
  /** The peer, as payee, grants us a new credit (bytes beyond our newest receipt it serves). */
  'credit:received': { credit: bigint }
  /** The peer broke the protocol; it is being closed. */
  'peer:protocol-error': { code: ViolationCode, detail: string }
  /** The peer reported an error and is being closed. */
  'peer:error-received': { code: number, msg: string }
  /** We refused the peer (`refuse`); it is being closed. */
  'peer:refused': { code: ErrorName, msg: string }
  'peer:closed': { reason: string }
}

/** What the network choice (`select`) sees of the peer: its offers (null: it sent none) and, on a responder, its hello. */
export interface PeerNetworks {
  offers: NetworkOffer[] | null
  hello: HelloMessage | null
}

/** A refusal `select` asks for instead of a hello: no network both sides accept. */
export interface NetworkRefusal { code: ErrorName, msg: string }

export interface SeedpayExtensionComponents {
  logger: Logger
}

export interface SeedpayExtensionInit {
  /** We opened the TCP connection, so we say hello first; the responder answers with `last`. */
  initiator: boolean
  /**
   * Our hello, built when it is due; a responder gets the peer's hello to pick `last` for it. `ids` are what
   * its `proof` must be signed over (sender = `ids.local`, receiver = `ids.remote`).
   */
  hello: (peer: HelloMessage | null, ids: HelloIds) => Omit<HelloMessage, 't'>
  /**
   * Our BitTorrent peer id (hex), read when our hello is due: the extension is mounted before the wire sends
   * its BEP 3 handshake, and bittorrent-protocol does not remember the id it sent.
   */
  localPeerId: () => string | null
  /**
   * The networks we accept receipts on, in our order of preference, announced in our extended handshake
   * (`seedpay_nets`, wire/offers.ts). @default none announced (an older peer's behaviour)
   */
  offers?: readonly NetworkOffer[]
  /**
   * Picks the network of this connection once, before our hello is built: an initiator on the peer's extended
   * handshake (`hello` null), a responder on the peer's hello (before it is reported). A refusal closes the peer
   * with that `err` instead of a hello. @default nothing to pick (one network)
   */
  select?: (peer: PeerNetworks) => NetworkRefusal | null
  /** @default 30000 */
  helloTimeoutMs?: number
  /** How to close this peer. @default the wire's destroy() */
  close?: (reason: string) => void
}

export class SeedpayExtension extends TypedEmitter<SeedpayEvents> implements WireExtension {
  readonly name = EXTENSION_NAME
  private currentState: SeedpayState = 'idle'
  private peer: HelloMessage | null = null
  private remotePeerId: string | null = null
  private remoteInfoHash: string | null = null
  private offers: NetworkOffer[] | null = null
  /** The ids our hello's proof was signed over (null until we said hello); the peer's proof uses the same, seen from its side. */
  private helloIds: HelloIds | null = null
  private support: 'unknown' | 'yes' | 'no' = 'unknown'
  private timer: NodeJS.Timeout | null = null
  private readonly log: Logger
  private readonly init: SeedpayExtensionInit
  private readonly wire: Wire

  constructor (components: SeedpayExtensionComponents, init: SeedpayExtensionInit, wire: Wire) {
    super()
    this.log = components.logger
    this.init = init
    this.wire = wire
    // set before the wire sends its extended handshake (wire.use runs before the BEP 3 handshake), as ut_metadata
    // sets metadata_size; an older peer ignores a key it does not know (BEP 10)
    if (init.offers !== undefined) wire.extendedHandshake[OFFERS_KEY] = encodeOffers(init.offers)
    wire.once('close', () => { this.closed('wire closed') })
    // bittorrent-protocol calls onExtendedHandshake only for peers that announce us; learn the others here.
    wire.on('extended', (ext: string) => {
      if (ext === 'handshake' && this.support === 'unknown') this.support = 'no'
    })
  }

  get state (): SeedpayState { return this.currentState }
  get peerHello (): HelloMessage | null { return this.peer }
  get ready (): boolean { return this.currentState === 'ready' }
  /** The networks the peer accepts, from its extended handshake; null until then or when it sent none. */
  get peerOffers (): NetworkOffer[] | null { return this.offers }
  /** The remote BitTorrent peer id (hex) once the BEP 3 handshake arrived. */
  get peerId (): string | null { return this.remotePeerId }

  /** Both peer ids and the info hash, once the peer's BEP 3 handshake arrived and ours was sent; else null. */
  get ids (): HelloIds | null {
    if (this.helloIds !== null) return this.helloIds
    const local = this.init.localPeerId()
    if (local === null || this.remotePeerId === null || this.remoteInfoHash === null) return null
    return { local: local.toLowerCase(), remote: this.remotePeerId, infoHash: this.remoteInfoHash }
  }

  /**
   * Whether the peer speaks seedpay: 'unknown' until its BEP 10 handshake (or its BEP 3 handshake without
   * the extension bit) arrived. An ordinary peer ('no') is never asked to pay.
   */
  get peerSupport (): 'unknown' | 'yes' | 'no' { return this.support }

  onHandshake (infoHash: string, peerId: string, extensions: Record<string, boolean>): void {
    this.remotePeerId = peerId
    this.remoteInfoHash = infoHash.toLowerCase()
    if (extensions.extended !== true) this.support = 'no'
  }

  onExtendedHandshake (handshake: Record<string, unknown>): void {
    this.guard(() => {
      const m = handshake.m
      if (typeof m !== 'object' || m === null || !(EXTENSION_NAME in m)) return
      if (this.currentState !== 'idle') return
      // a malformed offer list is a violation even from a responder that will not use it: strict like every message
      this.offers = decodeOffers(handshake[OFFERS_KEY])
      this.support = 'yes'
      this.currentState = 'awaiting-hello'
      const timeout = this.init.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS
      this.timer = setTimeout(() => { this.violation(new ProtocolViolationError('timeout', `no hello within ${timeout} ms`)) }, timeout)
      this.timer.unref()
      if (this.init.initiator && this.chose({ offers: this.offers, hello: null })) this.sendHello(null)
    })
  }

  onMessage (buf: Uint8Array): void {
    this.guard(() => {
      if (this.currentState === 'closing' || this.currentState === 'closed') return
      const message = decodeMessage(buf)
      switch (message.t) {
        case 'hello':
          if (this.currentState !== 'awaiting-hello') throw new ProtocolViolationError('unexpected', `hello in state ${this.currentState}`)
          this.peer = message
          if (this.helloIds === null) {
            if (!this.chose({ offers: this.offers, hello: message })) return
            this.sendHello(message)
          }
          this.clearTimer()
          this.currentState = 'ready'
          this.emit('peer:hello', { hello: message, ids: this.helloIds! })
          return
        case 'rcpt':
          if (this.currentState !== 'ready') throw new ProtocolViolationError('unexpected', `rcpt in state ${this.currentState}`)
          this.emit('receipt:received', { receipt: { bytes: message.bytes, amount: message.amount, sig: message.sig } })
          return
        case 'credit':
          if (this.currentState !== 'ready') throw new ProtocolViolationError('unexpected', `credit in state ${this.currentState}`)
          this.emit('credit:received', { credit: message.credit })
          return
        case 'err':
          this.log.warn({ peerId: this.remotePeerId, code: message.code, msg: message.msg }, 'seedpay peer reported an error')
          this.emit('peer:error-received', { code: message.code, msg: message.msg })
          this.shutdown(`peer error ${message.code}: ${message.msg}`, 0)
      }
    })
  }

  /** Sends a receipt (we are the payer). The caller has written it to its ledger first. */
  sendReceipt (receipt: SignedReceipt): void {
    if (this.currentState !== 'ready') throw new WireStateError(this.currentState, 'send a receipt')
    this.send(encodeMessage({ t: 'rcpt', ...receipt }))
  }

  /** Grants the peer (our payer) a new credit. Only once ready: the hello carried the first. */
  sendCredit (credit: bigint): void {
    if (this.currentState !== 'ready') throw new WireStateError(this.currentState, 'send a credit')
    this.send(encodeMessage({ t: 'credit', credit }))
  }

  /** Tells the peer why we drop it (`err`), then closes it. */
  refuse (code: ErrorName, msg: string): void {
    if (this.currentState === 'closing' || this.currentState === 'closed') return
    this.log.warn({ peerId: this.remotePeerId, code, msg }, 'refusing seedpay peer')
    this.emit('peer:refused', { code, msg })
    this.trySend(encodeMessage({ t: 'err', code: ERROR_CODES[code], msg }))
    this.shutdown(`refused (${code}): ${msg}`, ERR_LINGER_MS)
  }

  /** Runs `select`; false when it refused the peer (which is then closing). */
  private chose (peer: PeerNetworks): boolean {
    const refusal = this.init.select?.(peer) ?? null
    if (refusal === null) return true
    this.refuse(refusal.code, refusal.msg)
    return false
  }

  private sendHello (peer: HelloMessage | null): void {
    const ids = this.ids
    // bittorrent-protocol delivers the extended handshake only after both BEP 3 handshakes: our bug if not
    if (ids === null) throw new WireStateError(this.currentState, 'say hello before both peer ids are known')
    this.send(encodeMessage({ t: 'hello', ...this.init.hello(peer, ids) }))
    this.helloIds = ids
  }

  private send (payload: Uint8Array): void {
    this.wire.extended(EXTENSION_NAME, payload)
  }

  private trySend (payload: Uint8Array): void {
    try { this.send(payload) } catch { /* the peer may already be gone */ }
  }

  /** Runs a handler so that nothing escapes into bittorrent-protocol's parser. */
  private guard (fn: () => void): void {
    try {
      fn()
    } catch (err) {
      if (err instanceof ProtocolViolationError) {
        this.violation(err)
      } else {
        this.log.error({ peerId: this.remotePeerId, err }, 'seedpay handler failed')
        this.refuse('internal', 'internal error')
      }
    }
  }

  private violation (err: ProtocolViolationError): void {
    if (this.currentState === 'closing' || this.currentState === 'closed') return
    this.log.warn({ peerId: this.remotePeerId, code: err.code, detail: err.detail }, 'seedpay protocol violation; closing peer')
    this.emit('peer:protocol-error', { code: err.code, detail: err.detail })
    this.trySend(encodeMessage({ t: 'err', code: err.code === 'bad-version' ? ERROR_CODES.version : ERROR_CODES.protocol, msg: err.message }))
    this.shutdown(err.message, ERR_LINGER_MS)
  }

  private shutdown (reason: string, lingerMs: number): void {
    this.clearTimer()
    this.currentState = 'closing'
    const close = (): void => {
      if (this.init.close !== undefined) this.init.close(reason)
      else this.wire.destroy()
      this.closed(reason)
    }
    if (lingerMs === 0) { close(); return }
    setTimeout(close, lingerMs).unref()
  }

  private closed (reason: string): void {
    if (this.currentState === 'closed') return
    this.clearTimer()
    this.currentState = 'closed'
    this.emit('peer:closed', { reason })
  }

  private clearTimer (): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }
}

/**
 * A BEP 10 extension class for `wire.use(...)`. `onInstance` receives the instance bittorrent-protocol
 * creates for the wire, so the caller can listen to its events and send receipts.
 */
export function seedpayExtension (
  components: SeedpayExtensionComponents,
  init: SeedpayExtensionInit,
  onInstance: (ext: SeedpayExtension) => void
): WireExtensionCtor {
  class Mounted extends SeedpayExtension {
    constructor (wire: Wire) {
      super(components, init, wire)
      onInstance(this)
    }
  }
  Object.defineProperty(Mounted.prototype, 'name', { value: EXTENSION_NAME })
  return Mounted
}
