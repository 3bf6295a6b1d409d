/**
 * The payment side of an agent that accepts receipts on several networks (docs/protocol.md §1): one PaymentAgent
 * per network (its chain, ledger, escrow domain, coverage, scheduler, price), one seedpay extension per wire.
 *
 * The extension announces every network in `seedpay_nets` (primary first) and is bound to the primary's agent when
 * mounted, so before the hellos the wire is judged exactly as by a one-network agent (an ordinary peer gets a free
 * slot, a seedpay peer nothing yet). When the network is chosen (agent/payment/select-network.ts: an initiator on
 * the peer's offers, a responder on its hello), the wire moves to that network's agent before the hello is built
 * or handled. Everything the swarm asks (policies, byte counts) goes to the agent holding the peer's session.
 * A facade of one is the one-network agent: createPayments mounts every agent through it.
 *
 * ```ts
 * const host = new PaymentNetworks({ logger }, [localAgent, bttcAgent])
 * const engine = new TorrentEngine({ logger }, { torrent, dataDir, ...swarmInit(host) })
 * connectSwarm(host, engine)
 * ```
 */
import type { Logger } from 'pino'
import type { WireExtensionCtor } from 'bittorrent-protocol'
import { seedpayExtension, TypedEmitter, type NetworkOffer, type SeedpayExtension } from '../wire/index.ts'
import type { DownloadPolicy } from '../swarm/index.ts'
import type { PaymentAgent, PaymentTerms, PaymentUploadPolicy, WireMount } from './agent.ts'
import { PAYMENT_EVENT_NAMES, type PaymentEvents } from './events.ts'
import type { PaymentSession } from './session.ts'
import { selectNetwork } from './select-network.ts'

export interface PaymentNetworksComponents {
  logger: Logger
}

/** Thrown when networks given to the facade cannot be told apart or announced. */
export class NetworksConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'NetworksConfigError'
  }
}

export class PaymentNetworks extends TypedEmitter<PaymentEvents> {
  /** The scope of engines mounted without terms of their own; each agent's own prices apply. */
  readonly defaultTerms: PaymentTerms = Object.freeze({})
  /** Primary first: it holds every wire until a network is chosen, and it answers a peer that offers none. */
  readonly agents: readonly PaymentAgent[]
  private readonly offers: readonly NetworkOffer[]
  private readonly log: Logger

  constructor (components: PaymentNetworksComponents, agents: readonly PaymentAgent[]) {
    super()
    if (agents.length === 0) throw new NetworksConfigError('at least one network is needed')
    this.log = components.logger
    this.agents = agents
    this.offers = agents.map(a => a.offer)
    this.offers.forEach((o, i) => {
      if (this.offers.findIndex(x => x.chainId === o.chainId && x.escrow === o.escrow) !== i) throw new NetworksConfigError(`chain ${o.chainId} escrow ${o.escrow} is given twice`)
    })
    for (const agent of agents) {
      for (const name of PAYMENT_EVENT_NAMES) agent.on(name, (e: PaymentEvents[typeof name]) => { this.emit(name, e) })
    }
  }

  /** The agent of the network `offer` names, if we accept it. */
  agentFor (offer: NetworkOffer): PaymentAgent | undefined {
    const i = this.offers.findIndex(o => o.chainId === offer.chainId && o.escrow === offer.escrow.toLowerCase())
    return i < 0 ? undefined : this.agents[i]
  }

  /**
   * A seedpay extension class for one wire, bound to the primary network until the hello picks one.
   * @param terms the torrent's scope (and price: only with one network, whose units it is in) @default defaultTerms
   */
  extension (wire: WireMount, terms: PaymentTerms = this.defaultTerms): WireExtensionCtor {
    if (terms.pricePerMiB !== undefined && this.agents.length > 1) throw new NetworksConfigError('a torrent price is one network\'s; with several networks each agent\'s own price applies')
    let ext: SeedpayExtension | null = null
    let session: PaymentSession | null = null
    let holder = this.agents[0]!
    return seedpayExtension({ logger: this.log }, {
      initiator: wire.initiator,
      localPeerId: wire.localPeerId,
      offers: this.offers,
      select: peer => {
        if (ext === null || session === null) throw new Error('seedpay extension used before it was mounted')
        const choice = selectNetwork(this.offers, peer)
        const chosen = this.agents[choice.index]!
        if (chosen !== holder) {
          holder.unbind(session)
          holder = chosen
          session = chosen.bind(ext, terms)
        }
        this.log.debug({ peerId: ext.peerId, chainId: chosen.offer.chainId, escrow: chosen.offer.escrow, refused: choice.refusal?.code }, 'seedpay network chosen')
        return choice.refusal
      },
      hello: (peer, ids) => {
        if (session === null) throw new Error('seedpay extension used before it was mounted')
        return session.helloFor(peer, ids)
      },
      ...(this.agents[0]!.helloTimeoutMs !== undefined ? { helloTimeoutMs: this.agents[0]!.helloTimeoutMs } : {}),
      ...(wire.close !== undefined ? { close: wire.close } : {})
    }, mounted => {
      ext = mounted
      session = holder.bind(mounted, terms)
    })
  }

  /** The agent holding a session of the peer in this scope (a ready one first), if any. */
  private holderOf (peerId: string, terms: PaymentTerms): PaymentAgent | undefined {
    let found: PaymentAgent | undefined
    for (const agent of this.agents) {
      const s = agent.session(peerId, terms)
      if (s === undefined) continue
      if (s.ready) return agent
      found ??= agent
    }
    return found
  }

  /** The swarm's upload policy: the holder's; for a peer no agent holds, the primary's (free slots, or nothing). */
  uploadPolicyFor (terms: PaymentTerms): PaymentUploadPolicy {
    const policies = new Map(this.agents.map(a => [a, a.uploadPolicyFor(terms)]))
    const of = (peerId: string): PaymentUploadPolicy => policies.get(this.holderOf(peerId, terms) ?? this.agents[0]!)!
    return {
      canServe: peer => of(peer.id).canServe(peer),
      priority: peer => of(peer.id).priority(peer),
      settling: peer => of(peer.id).settling(peer)
    }
  }

  /** The swarm's download policy (payer side): the holder's window and budget for the peer. */
  downloadPolicyFor (terms: PaymentTerms): DownloadPolicy {
    const policies = new Map(this.agents.map(a => [a, a.downloadPolicyFor(terms)]))
    const of = (peerId: string): DownloadPolicy | undefined => {
      const holder = this.holderOf(peerId, terms)
      return holder === undefined ? undefined : policies.get(holder)
    }
    return {
      maxOutstandingBytes: peerId => of(peerId)?.maxOutstandingBytes(peerId),
      affordableBytes: peerId => of(peerId)?.affordableBytes?.(peerId)
    }
  }

  /** Whether `length` more bytes may be served to the peer now, by the agent of the network it pays on. */
  mayServe (peerId: string, length: number, terms?: PaymentTerms): boolean {
    return this.holderOf(peerId, terms ?? this.defaultTerms)?.mayServe(peerId, length, terms ?? this.defaultTerms) ?? false
  }

  /** The peer's receipts being stored, by the agent of the network it pays on (PaymentAgent.settling). */
  settling (peerId: string, terms?: PaymentTerms): Promise<void> | null {
    return this.holderOf(peerId, terms ?? this.defaultTerms)?.settling(peerId, terms ?? this.defaultTerms) ?? null
  }

  /** Bytes uploaded to a peer count in the network it pays on. */
  onUploaded (peerId: string, length: number, terms?: PaymentTerms): void {
    this.holderOf(peerId, terms ?? this.defaultTerms)?.onUploaded(peerId, length, terms ?? this.defaultTerms)
  }

  /** Verified bytes are paid for in the network of the peer that sent them. */
  onVerified (bytesByPeer: ReadonlyMap<string, number>, terms?: PaymentTerms): void {
    const scope = terms ?? this.defaultTerms
    const byAgent = new Map<PaymentAgent, Map<string, number>>()
    for (const [peerId, bytes] of bytesByPeer) {
      const holder = this.holderOf(peerId, scope)
      if (holder === undefined) continue
      let m = byAgent.get(holder)
      if (m === undefined) { m = new Map(); byAgent.set(holder, m) }
      m.set(peerId, bytes)
    }
    for (const [agent, m] of byAgent) agent.onVerified(m, scope)
  }

  /** Every network signs and stores what it owes now (the download is done or the engine is stopping). */
  async flush (): Promise<void> {
    await Promise.all(this.agents.map(async agent => { await agent.flush() }))
  }
}
