/**
 * A payee's book of what backs each payer it serves: free balance, the lane for us, paidOut, pending
 * withdrawal and lane release, as last read from the chain (`set`). Deciding whether to serve a block reads
 * this memory only: no chain read on the hot path.
 *
 * The escrow's events do not patch the book: an event seen after a read may already be part of that read
 * (the read and the event poll race), and applying it again would count a deposit twice. Instead an event
 * touching a payer marks it for a re-read and, until that lands, holds a pessimistic overlay: the free balance
 * counts as 0 and our lane as lowered by everything the events could have taken from it. Events can only make
 * us choke early, never serve more than what a read showed.
 *
 * One exception keeps the free balance: a settlement of our own pair. It moves `paid` from the payer's backing
 * to us, so what is left unsettled falls by at least what the free balance lost (the lane still counts as
 * lowered by all of it): serving on the old free balance stays within what the chain backs, whether or not the
 * read already saw it. Zeroing it choked every payer the moment our own settle-ahead was mined; each choke
 * made the payer ask again for blocks already on their way, served twice and paid once, until its debt stayed
 * above the half of its credit it must be under to be unchoked (a 256 MiB paid download hung in 1 of 5 runs).
 */
import type { EscrowEvent } from '../chain/index.ts'
import { toAddress, type Address, type PairBacking } from '../pay/index.ts'

const sub = (a: bigint, b: bigint): bigint => (a > b ? a - b : 0n)

/** What events seen since the last read may have taken, until the re-read. */
interface Overlay {
  laneTaken: bigint
  /** An event other than our own settlement touched the free balance: it counts as 0. */
  freeUnknown: boolean
}

export class CoverageBook {
  readonly payee: Address
  private readonly pairs = new Map<Address, PairBacking>()
  private readonly overlays = new Map<Address, Overlay>()
  /** Counts `note`s per payer: a read that started before the latest note may predate its event. */
  private readonly versions = new Map<Address, number>()

  constructor (init: { payee: string }) {
    this.payee = toAddress(init.payee)
  }

  has (payer: Address): boolean { return this.pairs.has(payer) }
  /** Whether events arrived for this payer since its last read. */
  isDirty (payer: Address): boolean { return this.overlays.has(payer) }

  /** A payer's backing, with the pessimistic overlay of unread events applied. */
  get (payer: Address): PairBacking | undefined {
    const b = this.pairs.get(payer)
    if (b === undefined) return undefined
    const o = this.overlays.get(payer)
    if (o === undefined) return { ...b }
    return { ...b, free: o.freeUnknown ? 0n : b.free, lane: sub(b.lane, o.laneTaken) }
  }

  /** The payer's note count: pass it back to `set` with the read that started now. */
  version (payer: Address): number { return this.versions.get(payer) ?? 0 }

  /**
   * Sets a payer's backing as read from the chain. The overlay is dropped only when no event was noted since
   * the read started (`startedAt` from `version`): otherwise the read may predate it.
   * @returns true if the view is now clean, false if it must be read again
   */
  set (payer: Address, backing: PairBacking, startedAt: number): boolean {
    this.pairs.set(payer, { ...backing })
    if (this.version(payer) !== startedAt) return false
    this.overlays.delete(payer)
    return true
  }

  /**
   * Notes escrow events; returns the tracked payers they touch (re-read them). A settlement on our pair may
   * have taken up to `paid` from our lane (and leaves the free balance counting); a release request may take
   * its amount; any other event may have taken the free balance.
   */
  note (events: readonly EscrowEvent[]): Set<Address> {
    const touched = new Set<Address>()
    for (const e of events) {
      if (!('payer' in e)) continue
      const payer = toAddress(e.payer)
      if (!this.pairs.has(payer)) continue
      const o = this.overlays.get(payer) ?? { laneTaken: 0n, freeUnknown: false }
      const ours = 'payee' in e && toAddress(e.payee) === this.payee
      if (ours && e.name === 'Settled') o.laneTaken += e.paid
      else o.freeUnknown = true
      if (ours && e.name === 'LaneReleaseRequested') o.laneTaken += e.amount
      this.overlays.set(payer, o)
      this.versions.set(payer, this.version(payer) + 1)
      touched.add(payer)
    }
    return touched
  }
}
