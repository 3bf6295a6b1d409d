/**
 * The payment layer of one agent: mounts the seedpay extension on every wire, keeps a PaymentSession per
 * peer, and answers the swarm's upload choker (`uploadPolicy`). One escrow, one account, one hot signer.
 *
 * ```ts
 * const payments = new PaymentAgent({ logger, ledger, signer, signers: new ChainSignerDirectory({ chain }) },
 *   { domain, account, pricePerMiB, maxPricePerMiB })
 * const engine = new TorrentEngine({ logger }, { torrent, dataDir, ...swarmInit(payments) })
 * connectSwarm(payments, engine)   // block:uploaded / piece:hashed → payments; payment changes → rechoke()
 * ```
 */
import type { Logger } from 'pino'
import type { WireExtensionCtor } from 'bittorrent-protocol'
import { amountFor, BLOCK_LENGTH, CreditPolicy, HelloProver, MIB, ReceiptVerifier, toAddress, type Address, type EscrowDomain, type ReceiptSigner, type SignerDirectory } from '../pay/index.ts'
import { seedpayExtension, TypedEmitter, EXTENSION_NAME, type NetworkOffer } from '../wire/index.ts'
import type { Ledger } from '../ledger/index.ts'
import type { DownloadPolicy } from '../swarm/index.ts'
import { PaymentSession } from './session.ts'
import { selectNetwork } from './select-network.ts'
import { ChannelRegistry } from './channels.ts'
import type { PaymentEvents } from './events.ts'
import type { PayeeCoverage } from './payee-coverage.ts'
import type { PayerFunds } from './payer-funds.ts'
import { ReceiptWriter } from './receipt-writer.ts'
import type { ReceiptStore } from '../ledger/writer-thread.ts'


export interface PaymentAgentComponents {
  logger: Logger
  ledger: Ledger
  /**
   * Where receipts are stored durably. @default the ledger's writer thread (agent/ledger/writer-thread.ts) on the
   * same file: the fsync of each batch off the event loop.
   */
  store?: ReceiptStore
  /** Signs our receipts (our own key or the hot signer registered on the escrow). */
  signer: ReceiptSigner
  /**
   * Who may sign for a payer besides itself (e.g. ChainSignerDirectory over the escrow's `signerOf`). If it
   * has `refresh`, a session refreshes the payer's entry on hello and holds its receipts until then.
   * @default payers sign themselves
   */
  signers?: SignerDirectory & { refresh?: (payer: Address, options?: { signal?: AbortSignal }) => Promise<void> }
  /** Payee side: what backs each payer (lane, trusted free balance); charged blocks are served only within it. */
  coverage?: PayeeCoverage
  /** Payer side: the budget receipts are signed within, and the lanes payees ask for. */
  funds?: PayerFunds
}

export interface PaymentAgentInit {
  domain: EscrowDomain
  /** Our account on the escrow (0x-hex). */
  account: Address
  /** What we charge per MiB uploaded, in token base units. 0 serves for free. */
  pricePerMiB: bigint
  /** The most we pay per MiB downloaded; a peer asking more is refused. */
  maxPricePerMiB: bigint
  /** The most a payer is served beyond its newest receipt; it starts at 4 MiB (or this, if less) and earns the rest by paying. @default 32 MiB */
  credit?: bigint
  /** Serve peers without the seedpay extension (in the swarm's regular slots). @default true */
  serveOrdinaryPeers?: boolean
  /** @default 16384 */
  blockLength?: number
  /** @default 30000 */
  helloTimeoutMs?: number
  /** The lane our hello asks each payer to reserve for us, token base units. @default 0 (none) */
  wantLane?: bigint
}

/**
 * What one torrent is sold at, when it differs from the agent's init: the daemon prices its torrents one by one.
 * The object is also the torrent's scope: the choker and byte counts of an engine mounted with it (`swarmInit`,
 * `connectSwarm`) see only the sessions its extension made, not the same peer's sessions in other torrents.
 */
export interface PaymentTerms {
  /** What we charge per MiB uploaded in this torrent. @default the agent's pricePerMiB */
  pricePerMiB?: bigint
  /** Serve peers without the seedpay extension in this torrent. @default the agent's serveOrdinaryPeers */
  serveOrdinaryPeers?: boolean
}

/** How a seedpay extension is mounted on one wire (`extension`). */
export interface WireMount {
  /** We dialled this peer (we say hello first). */
  initiator: boolean
  /** Our BitTorrent peer id (hex) on this wire, read when our hello is due; our hello proof is signed over it. */
  localPeerId: () => string | null
  /** How to close the peer. @default the raw wire's destroy() */
  close?: (reason: string) => void
}

/** Structurally the swarm's `UploadPolicy` (agent/swarm/choker.ts), without depending on the swarm. */
export interface PaymentUploadPolicy {
  canServe: (peer: { id: string, supports: (extension: string) => boolean }) => boolean
  priority: (peer: { id: string, supports: (extension: string) => boolean }) => number
  /** Resolves once the receipts of the peer being stored are done; null when none is. */
  settling: (peer: { id: string }) => Promise<void> | null
}

export class PaymentAgent extends TypedEmitter<PaymentEvents> {
  readonly verifier: ReceiptVerifier
  readonly policy: CreditPolicy
  /**
   * Sessions by remote peer id. Several can share an id (one remote client in two torrents, a reconnect
   * overlapping the old wire); they share their channels, so any open one answers for the peer.
   */
  private readonly sessions = new Map<string, Set<PaymentSession>>()
  private readonly channels: ChannelRegistry
  /** Every receipt of every session is stored through this one group commit. */
  readonly writer: ReceiptWriter
  /** Our hello proofs and the check of every peer's (one signature and one recovery per connection). */
  private readonly prover: HelloProver
  /** Aborts background work (signer lookups) on stop(). */
  private readonly abort = new AbortController()
  private readonly pending = new Set<PaymentSession>()
  /** The terms (scope) each session was made under. */
  private readonly scopes = new WeakMap<PaymentSession, PaymentTerms>()
  /** The scope of engines mounted without terms of their own: the agent's init. */
  readonly defaultTerms: PaymentTerms = Object.freeze({})
  private readonly components: PaymentAgentComponents
  private readonly init: PaymentAgentInit

  constructor (components: PaymentAgentComponents, init: PaymentAgentInit) {
    super()
    this.components = components
    this.init = init
    this.verifier = new ReceiptVerifier(components.signers !== undefined ? { signers: components.signers } : {}, { domain: init.domain })
    this.policy = new CreditPolicy(init.credit !== undefined ? { credit: init.credit } : {})
    this.writer = new ReceiptWriter({ logger: components.logger, store: components.store ?? components.ledger.writerThread() })
    this.prover = new HelloProver({ signer: components.signer, ...(components.signers !== undefined ? { signers: components.signers } : {}) }, { domain: init.domain })
    components.coverage?.on('coverage:changed', ({ payer }) => {
      for (const s of this.allSessions()) if (s.account === payer) s.onBackingChanged()
    })
    const funds = components.funds
    if (funds !== undefined) {
      funds.on('funds:changed', e => {
        for (const s of this.allSessions()) if (s.account === e.payee) s.payOwed()
        this.emit('funds:changed', e)
      })
      funds.on('budget:exhausted', e => { this.emit('budget:exhausted', e) })
      funds.on('lane:reserved', e => { this.emit('lane:reserved', e) })
    }
    this.channels = new ChannelRegistry({ ledger: components.ledger, verifier: this.verifier, signer: components.signer, policy: this.policy }, {
      domain: init.domain, account: init.account, blockLength: init.blockLength ?? BLOCK_LENGTH
    })
  }

  /**
   * A seedpay extension class for one wire (`wire.use(...)` before the handshake), announcing our one network.
   * @param wire how it is mounted: who dialled, our peer id, how to close
   * @param terms the torrent's price and scope @default defaultTerms
   */
  extension (wire: WireMount, terms: PaymentTerms = this.defaultTerms): WireExtensionCtor {
    let session: PaymentSession | null = null
    const offers = [this.offer]
    return seedpayExtension({ logger: this.components.logger }, {
      initiator: wire.initiator,
      localPeerId: wire.localPeerId,
      offers,
      // one network: nothing to pick, but a peer that offers others only is told so before any hello
      select: peer => selectNetwork(offers, peer).refusal,
      hello: (peer, ids) => {
        if (session === null) throw new Error('seedpay extension used before it was mounted')
        return session.helloFor(peer, ids)
      },
      ...(this.init.helloTimeoutMs !== undefined ? { helloTimeoutMs: this.init.helloTimeoutMs } : {}),
      ...(wire.close !== undefined ? { close: wire.close } : {})
    }, ext => { session = this.bind(ext, terms) })
  }

  /** How long a seedpay peer has to say hello (the init's). */
  get helloTimeoutMs (): number | undefined { return this.init.helloTimeoutMs }

  /** The network we accept receipts on: our receipt domain, as announced in `seedpay_nets`. */
  get offer (): NetworkOffer {
    return { chainId: this.init.domain.chainId, escrow: toAddress(this.init.domain.escrow) }
  }

  /**
   * The session of a peer (BitTorrent peer id, hex), once its BEP 3 handshake arrived; with `terms`, only one
   * made in that torrent's scope. A ready session is preferred over one still saying hello or closing.
   */
  session (peerId: string, terms?: PaymentTerms): PaymentSession | undefined {
    this.adoptPending()
    const all = this.sessions.get(peerId)
    if (all === undefined) return undefined
    let pick: PaymentSession | undefined
    for (const s of all) {
      if (terms !== undefined && this.scopes.get(s) !== terms) continue
      if (pick === undefined || s.ready || !pick.ready) pick = s
    }
    return pick
  }

  /** Upload policy for the swarm's choker: paying peers under their credit first, ordinary peers as configured. */
  get uploadPolicy (): PaymentUploadPolicy { return this.uploadPolicyFor(this.defaultTerms) }

  /** The upload policy of one torrent's engine (its terms: price, free slots, scope). */
  uploadPolicyFor (terms: PaymentTerms): PaymentUploadPolicy {
    const serveOrdinary = terms.serveOrdinaryPeers ?? this.serveOrdinary
    const blockLength = this.init.blockLength ?? BLOCK_LENGTH
    return {
      canServe: peer => {
        const session = this.session(peer.id, terms)
        if (session === undefined) return !peer.supports(EXTENSION_NAME) && serveOrdinary
        return session.mayServe(blockLength, serveOrdinary)
      },
      settling: peer => this.settling(peer.id, terms),
      priority: peer => (peer.supports(EXTENSION_NAME) && this.session(peer.id, terms)?.ready === true ? 1 : 0)
    }
  }

  /**
   * Download policy for the swarm (payer side): what a charging peer has served ahead of our receipts
   * (requested, in flight, received in pieces not yet verified, verified and not yet paid by a receipt on its way)
   * stays within half the credit it granted, so it never has to choke us; the other half covers receipts in
   * flight. The credit grows as we pay (`credit` messages), and the window with it. Free peers are not limited.
   */
  get downloadPolicy (): DownloadPolicy { return this.downloadPolicyFor(this.defaultTerms) }

  /** The download policy of one torrent's engine (only the sessions of its scope). */
  downloadPolicyFor (terms: PaymentTerms): DownloadPolicy {
    return {
      maxOutstandingBytes: peerId => {
        const session = this.session(peerId, terms)
        const credit = session?.creditGranted
        if (credit === null || credit === undefined) return undefined
        // what the payee sees us owing: receipts still being stored have not reached it
        const window = credit / 2n - (session!.asPayer?.unsent ?? 0n)
        return window > 0n ? Number(window) : 0
      },
      affordableBytes: peerId => this.affordableBytes(peerId, terms)
    }
  }

  /**
   * What our budget pays for from a charging peer beyond what we already owe it: its lane headroom plus an even
   * share of the free headroom among the charging peers we know (so three seeders at once cannot together
   * draw more than is free). Undefined without a budget or for a free peer; 0 before its lane is known.
   */
  private affordableBytes (peerId: string, terms: PaymentTerms): number | undefined {
    const funds = this.components.funds
    const session = this.session(peerId, terms)
    if (funds === undefined || session === undefined || !session.charges) return undefined
    const ch = session.asPayer
    if (ch === null || ch.pricePerMiB === 0n) return 0
    const charging = new Set<Address>()
    for (const s of this.allSessions()) if (s.charges && s.account !== null) charging.add(s.account)
    const share = funds.share(ch.payee, charging.size)
    const owed = amountFor(ch.owed, ch.pricePerMiB)
    if (share <= owed) return 0
    return Number((share - owed) * MIB / ch.pricePerMiB)
  }

  private * allSessions (): Generator<PaymentSession> {
    this.adoptPending()
    for (const set of this.sessions.values()) yield * set
  }

  /** Whether `length` more bytes may be served to the peer now (payee side). */
  mayServe (peerId: string, length: number, terms?: PaymentTerms): boolean {
    return this.session(peerId, terms)?.mayServe(length, terms?.serveOrdinaryPeers ?? this.serveOrdinary) ?? false
  }

  /**
   * Payee side: resolves once the peer's receipts being stored now are done, when `mayServe` may say more; null
   * when none is (UploadPolicy.settling: hold a refused request until then rather than choke).
   */
  settling (peerId: string, terms?: PaymentTerms): Promise<void> | null {
    return this.session(peerId, terms)?.settling ?? null
  }

  private get serveOrdinary (): boolean { return this.init.serveOrdinaryPeers ?? true }

  /** Count bytes uploaded to a peer (the swarm's `block:uploaded`), in the scope of the engine's terms. */
  onUploaded (peerId: string, length: number, terms?: PaymentTerms): void {
    try {
      this.session(peerId, terms)?.onServed(length)
    } catch (err) {
      this.components.logger.error({ err, peerId }, 'counting uploaded bytes failed')
    }
  }

  /** Pay for SHA-1-verified bytes (the swarm's `piece:hashed` `bytesByPeer`). */
  onVerified (bytesByPeer: ReadonlyMap<string, number>, terms?: PaymentTerms): void {
    for (const [peerId, bytes] of bytesByPeer) {
      const session = this.session(peerId, terms)
      try {
        session?.onVerified(bytes)
      } catch (err) {
        // a receipt we could not sign is never sent; the peer will choke us when our credit runs out
        this.components.logger.error({ err, peerId }, 'paying for verified bytes failed')
        session?.ext.refuse('internal', 'payer could not store its receipt')
      }
    }
  }

  /**
   * Signs what is owed to every peer now instead of on the pacer's timer; resolves once it is stored and sent
   * (handed to the wires): the download is done or the engine is about to close its wires.
   */
  async flush (): Promise<void> {
    for (const s of this.allSessions()) {
      try {
        s.payOwed()
      } catch (err) {
        this.components.logger.error({ err, peerId: s.peerId }, 'paying what is owed failed')
      }
    }
    await this.writer.drain()
  }

  /**
   * Pays what is owed (flush; resolves once every receipt is stored), then stops background work (signer lookups
   * in flight). Sessions end with their wires.
   */
  async stop (): Promise<void> {
    await this.flush()
    this.abort.abort()
  }

  /**
   * Opens this agent's session on a seedpay wire: from here on the wire's hello, receipts and credits are ours,
   * in our receipt domain. `extension` does it when the wire is mounted; a multi-network facade
   * (agent/payment/networks.ts) does it for the network it picked.
   * @param terms the torrent's price and scope
   */
  bind (ext: PaymentSession['ext'], terms: PaymentTerms): PaymentSession {
    const { logger, ledger } = this.components
    const refresh = this.components.signers?.refresh
    const session = new PaymentSession({
      logger, ledger, writer: this.writer, channels: this.channels, policy: this.policy, prover: this.prover,
      ...(this.components.coverage !== undefined ? { coverage: this.components.coverage } : {}),
      ...(this.components.funds !== undefined ? { funds: this.components.funds } : {}),
      ...(refresh !== undefined ? { refreshSigners: async (payer: Address) => { await refresh.call(this.components.signers, payer, { signal: this.abort.signal }) } } : {}),
      emit: (name, event) => { this.emit(name, event) }
    }, {
      domain: this.init.domain,
      account: this.init.account,
      pricePerMiB: terms.pricePerMiB ?? this.init.pricePerMiB,
      maxPricePerMiB: this.init.maxPricePerMiB,
      ...(this.init.wantLane !== undefined ? { wantLane: this.init.wantLane } : {})
    }, ext)
    this.pending.add(session)
    this.scopes.set(session, terms)
    ext.on('peer:closed', () => { this.forget(session) })
    return session
  }

  /**
   * Gives up a session bound before its network was chosen (it said no hello, opened no channel): the wire
   * pays on another agent's network.
   */
  unbind (session: PaymentSession): void {
    session.detach()
    this.forget(session)
  }

  private forget (session: PaymentSession): void {
    this.pending.delete(session)
    const id = session.peerId
    const all = id === null ? undefined : this.sessions.get(id)
    if (id === null || all === undefined) return
    all.delete(session)
    if (all.size === 0) this.sessions.delete(id)
  }

  /** Sessions learn their peer id at the BEP 3 handshake, after they were created. */
  private adoptPending (): void {
    for (const s of this.pending) {
      const id = s.peerId
      if (id === null) continue
      this.pending.delete(s)
      let all = this.sessions.get(id)
      if (all === undefined) { all = new Set(); this.sessions.set(id, all) }
      all.add(s)
    }
  }
}
