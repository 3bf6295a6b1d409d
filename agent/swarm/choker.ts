/**
 * Decides whom we upload to. Regular slots go by tit-for-tat (leeching: who gives us most; seeding: who
 * takes most, rotated), one optimistic slot rotates so newcomers get a chance (BEP 3 "choking" section).
 * An UploadPolicy (the payment layer) can veto peers and lift some above the free slots without this
 * file knowing anything about payment.
 */

/** BEP 3 suggests rechoking every 10 s. */
export const RECHOKE_INTERVAL_MS = 10_000
/** Optimistic unchoke rotates every third rechoke (30 s), as in BEP 3 and mainline. */
const OPTIMISTIC_EVERY = 3
/**
 * Seeding rotation: a peer that has held a regular slot this long yields it to a waiting peer
 * (libtorrent's round-robin seed choking), so a seed spreads pieces instead of feeding its fastest peers.
 */
const SEED_ROTATE_MS = 30_000

/** What the choker and policy may know about a peer. */
export interface ChokerPeer {
  /** Remote peer id, hex. */
  readonly id: string
  readonly address: string
  readonly interested: boolean
  /** Bytes/s they sent us recently (verified or not). */
  readonly downloadRate: number
  /** Bytes/s we sent them recently. */
  readonly uploadRate: number
  /** Peer advertised this BEP 10 extension name. */
  supports(extension: string): boolean
}

/**
 * Who may be served. `canServe` false: the peer stays choked and its requests are refused.
 * `priority` > 0: the peer is unchoked ahead of tit-for-tat, in `prioritySlots` reserved for such peers,
 * so ordinary peers keep the regular slots.
 */
export interface UploadPolicy {
  canServe(peer: ChokerPeer): boolean
  priority(peer: ChokerPeer): number
  /**
   * Set while a decision about the peer waits on work in progress (the payment layer: a receipt that arrived is
   * being stored, and may raise what the peer may be served): it resolves once that is done. Meanwhile the choker
   * does not choke the peer on account of `canServe`, and the uploader holds its refused requests and asks again
   * then, instead of choking it (which would throw away its whole queue for a wait of a few milliseconds).
   */
  settling?(peer: ChokerPeer): Promise<void> | null
}

/** Serves every peer equally: plain BitTorrent. */
export const openPolicy: UploadPolicy = { canServe: () => true, priority: () => 0 }

export interface ChokerInit {
  /** Regular (tit-for-tat) upload slots. @default 4 */
  uploadSlots?: number
  /** Optimistic slots. @default 1 */
  optimisticSlots?: number
  /** Slots for peers the policy gives priority > 0. @default 8 */
  prioritySlots?: number
  policy?: UploadPolicy
  random?: () => number
  now?: () => number
}

export class Choker {
  private readonly uploadSlots: number
  private readonly optimisticSlots: number
  private readonly prioritySlots: number
  private readonly random: () => number
  policy: UploadPolicy
  private round = 0
  private optimistic = new Set<string>()
  /** When each peer got its regular slot, for seeding rotation. */
  private regularSince = new Map<string, number>()
  private readonly now: () => number

  constructor (init: ChokerInit = {}) {
    this.uploadSlots = init.uploadSlots ?? 4
    this.optimisticSlots = init.optimisticSlots ?? 1
    this.prioritySlots = init.prioritySlots ?? 8
    this.policy = init.policy ?? openPolicy
    this.random = init.random ?? Math.random
    this.now = init.now ?? Date.now
  }

  /**
   * The ids to unchoke now. `seeding` switches regular slots from "who gives us most" to "who takes most",
   * which spreads a seed's upload over peers that can actually use it. `tick` marks the periodic call
   * that may rotate the optimistic slot; other calls (a peer became interested) only fill free slots.
   */
  select (peers: readonly ChokerPeer[], seeding: boolean, tick = false): Set<string> {
    const unchoke = new Set<string>()
    const eligible = peers.filter(p => p.interested && (this.policy.canServe(p) || (this.policy.settling?.(p) ?? null) !== null))
    const prioritized = eligible
      .map(p => ({ p, prio: this.policy.priority(p) }))
      .filter(x => x.prio > 0)
      .sort((a, b) => b.prio - a.prio || b.p.downloadRate - a.p.downloadRate)
    for (const { p } of prioritized.slice(0, this.prioritySlots)) unchoke.add(p.id)

    const ordinary = eligible.filter(p => !unchoke.has(p.id))
    const rate = seeding ? (p: ChokerPeer) => p.uploadRate : (p: ChokerPeer) => p.downloadRate
    ordinary.sort((a, b) => rate(b) - rate(a))
    if (seeding && tick && ordinary.length > this.uploadSlots) {
      const now = this.now()
      const expired = (p: ChokerPeer): boolean => now - (this.regularSince.get(p.id) ?? now) >= SEED_ROTATE_MS
      ordinary.sort((a, b) => Number(expired(a)) - Number(expired(b)))
    }
    const regular = new Map<string, number>()
    for (const p of ordinary.slice(0, this.uploadSlots)) {
      unchoke.add(p.id)
      regular.set(p.id, this.regularSince.get(p.id) ?? this.now())
    }
    this.regularSince = regular

    const stale = [...this.optimistic].some(id => !ordinary.some(p => p.id === id) || unchoke.has(id))
    if ((tick && this.round++ % OPTIMISTIC_EVERY === 0) || stale || this.optimistic.size < this.optimisticSlots) {
      const rest = ordinary.filter(p => !unchoke.has(p.id))
      this.optimistic = new Set()
      for (let k = 0; k < this.optimisticSlots && rest.length > 0; k++) {
        const [pick] = rest.splice(Math.floor(this.random() * rest.length), 1)
        if (pick !== undefined) this.optimistic.add(pick.id)
      }
    }
    for (const id of this.optimistic) unchoke.add(id)
    return unchoke
  }
}
