/**
 * The networks a seedpay peer accepts receipts on, announced in its BEP 10 extended handshake (docs/protocol.md §1)
 * under `seedpay_nets`, so the side that dials knows them before it builds its hello and picks one it has funded.
 *
 * Format: one byte string of 1–8 entries of 28 bytes each, in the sender's order of preference:
 * `chain id (uint64, big-endian) ‖ escrow (20 bytes)`. Strict like every seedpay message: any other length, more
 * than 8 entries, a chain id 0 or an entry given twice is a protocol violation that closes only that peer. A peer
 * that announces seedpay without the key is an older v3 peer that did not say (§1: its hello's network is its one).
 */
import { ProtocolViolationError } from './errors.ts'
import { addressToBytes, bytesToAddress, type Address } from '../pay/bytes.ts'

/** The extended handshake key (BEP 10 leaves keys other than `m` to extensions; prefixed so it cannot collide). */
export const OFFERS_KEY = 'seedpay_nets'
/**
 * At most this many networks: an agent runs one payment side per network it accepts (a chain client, a ledger, a
 * scheduler each), so 8 is far beyond a real seeder, and it bounds the handshake to 224 bytes of offers.
 */
export const MAX_OFFERS = 8
/**
 * 8 bytes of chain id: the widest chain ids we settle on are Nile's 3448148188 (0xcd8690dc, 4 bytes), TRON mainnet's
 * 728126428 and BTTC's 199; EVM chain ids in use stay far below 2^64 (EIP-2294 bounds them near 2^63). The hello keeps
 * its uint256 `chain`; a network above 2^64 simply cannot be offered.
 */
const CHAIN_ID_BYTES = 8
const ESCROW_BYTES = 20
/** One entry: chain id then escrow. */
export const OFFER_BYTES = CHAIN_ID_BYTES + ESCROW_BYTES

/** One network a peer accepts receipts on: the receipt domain's chain id and escrow. */
export interface NetworkOffer {
  chainId: bigint
  /** 0x-hex, lower case. */
  escrow: Address
}

/** Our own offers could not be encoded (a programming or configuration error, never the peer's). */
export class OffersEncodingError extends Error {
  constructor (readonly reason: string) {
    super(`cannot announce these networks: ${reason}`)
    this.name = 'OffersEncodingError'
  }
}

/** Whether two offers name the same network (chain id and escrow). */
export function sameOffer (a: NetworkOffer, b: NetworkOffer): boolean {
  return a.chainId === b.chainId && a.escrow.toLowerCase() === b.escrow.toLowerCase()
}

/** The `seedpay_nets` value for `offers` (1–8 distinct networks, chain ids 1 … 2^64 − 1). */
export function encodeOffers (offers: readonly NetworkOffer[]): Uint8Array {
  if (offers.length === 0 || offers.length > MAX_OFFERS) throw new OffersEncodingError(`${offers.length} networks; 1 to ${MAX_OFFERS} may be announced`)
  const out = new Uint8Array(offers.length * OFFER_BYTES)
  const view = new DataView(out.buffer)
  offers.forEach((o, i) => {
    if (o.chainId <= 0n || o.chainId >= 1n << 64n) throw new OffersEncodingError(`chain id ${o.chainId} does not fit in 8 bytes (or is 0)`)
    if (offers.findIndex(x => sameOffer(x, o)) !== i) throw new OffersEncodingError(`chain ${o.chainId} escrow ${o.escrow} is given twice`)
    view.setBigUint64(i * OFFER_BYTES, o.chainId)
    out.set(addressToBytes(o.escrow), i * OFFER_BYTES + CHAIN_ID_BYTES)
  })
  return out
}

/**
 * The offers in a peer's extended handshake value, or null when it has none (`value` undefined).
 * @throws ProtocolViolationError('bad-offers') for anything but 1–8 distinct well-formed entries
 */
export function decodeOffers (value: unknown): NetworkOffer[] | null {
  if (value === undefined) return null
  if (!(value instanceof Uint8Array)) throw new ProtocolViolationError('bad-offers', `'${OFFERS_KEY}' is not a byte string`)
  if (value.length === 0 || value.length % OFFER_BYTES !== 0) throw new ProtocolViolationError('bad-offers', `'${OFFERS_KEY}' is ${value.length} bytes, not a multiple of ${OFFER_BYTES}`)
  const count = value.length / OFFER_BYTES
  if (count > MAX_OFFERS) throw new ProtocolViolationError('bad-offers', `'${OFFERS_KEY}' offers ${count} networks, at most ${MAX_OFFERS} are allowed`)
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  const offers: NetworkOffer[] = []
  for (let i = 0; i < count; i++) {
    const chainId = view.getBigUint64(i * OFFER_BYTES)
    if (chainId === 0n) throw new ProtocolViolationError('bad-offers', `'${OFFERS_KEY}' entry ${i} has chain id 0`)
    const escrow = bytesToAddress(value.subarray(i * OFFER_BYTES + CHAIN_ID_BYTES, (i + 1) * OFFER_BYTES))
    const offer = { chainId, escrow }
    if (offers.some(o => sameOffer(o, offer))) throw new ProtocolViolationError('bad-offers', `'${OFFERS_KEY}' names chain ${chainId} escrow ${escrow} twice`)
    offers.push(offer)
  }
  return offers
}
