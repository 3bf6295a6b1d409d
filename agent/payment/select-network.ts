/**
 * Which of our networks a connection pays on (docs/protocol.md §1, §6 "Terms"). Pure: our offers in our order of
 * preference, and what the peer said.
 *
 * - Initiator (no hello yet): the first of OUR networks the peer offers, so a payer pays where it is funded and a
 *   seeder is paid where it prefers; a peer without offers (an older v3 peer) gets our primary network, as before.
 *   When the peer offers networks and none is ours, we refuse at once (err 10, or 11 when only escrows differ),
 *   naming what it accepts: the hello it would have answered with could only be refused the same way.
 * - Responder: the network of the initiator's hello; if that is none of ours, our primary, whose terms check then
 *   refuses it with err 10/11 exactly as a one-network agent does.
 */
import { sameOffer, type NetworkOffer, type NetworkRefusal, type PeerNetworks } from '../wire/index.ts'

/** At most this many of the peer's offers are named in a refusal (an `err` message is at most 256 bytes). */
const NAMED_IN_REFUSAL = 3

export type NetworkChoice = { index: number, refusal: null } | { index: 0, refusal: NetworkRefusal }

/**
 * @param ours the networks we accept, primary first (at least one)
 * @param peer the peer's offers (null: none sent) and, when we are the responder, its hello
 * @returns the index in `ours` to bind the connection to, and a refusal when there is no common network
 */
export function selectNetwork (ours: readonly NetworkOffer[], peer: PeerNetworks): NetworkChoice {
  if (ours.length === 0) throw new RangeError('selectNetwork needs at least one network of ours')
  if (peer.hello !== null) {
    const hello = { chainId: peer.hello.chainId, escrow: peer.hello.escrow }
    const index = ours.findIndex(o => sameOffer(o, hello))
    return { index: Math.max(index, 0), refusal: null }
  }
  const offers = peer.offers
  if (offers === null) return { index: 0, refusal: null }
  const index = ours.findIndex(o => offers.some(p => sameOffer(p, o)))
  if (index >= 0) return { index, refusal: null }
  const sameChain = offers.some(p => ours.some(o => o.chainId === p.chainId))
  const named = offers.slice(0, NAMED_IN_REFUSAL).map(describe).join(', ') + (offers.length > NAMED_IN_REFUSAL ? ', …' : '')
  return {
    index: 0,
    refusal: {
      code: sameChain ? 'escrow' : 'chain',
      msg: `no common network: the peer accepts receipts on ${named}; we accept ${ours.map(describe).join(', ')}`
    }
  }
}

/** `chain 199 escrow 0xe7f1…0512`: short enough for an `err` message, enough to tell networks apart. */
function describe (o: NetworkOffer): string {
  return `chain ${o.chainId} escrow ${o.escrow.slice(0, 6)}…${o.escrow.slice(-4)}`
}
