/**
 * The `seedpay` BEP 10 extension. Mount on every wire before the handshake:
 *
 * ```ts
 * wire.use(seedpayExtension({ logger }, {
 *   initiator: wire.direction === 'out', localPeerId: () => ourPeerId, hello: (peer, ids) => ourHello(peer, ids)
 * }, ext => {
 *   ext.on('peer:hello', ({ hello }) => ...)        // check terms, then hello.proof against ext.ids
 *   ext.on('receipt:received', ({ receipt }) => ...) // verify, store, credit
 * }))
 * ```
 * Pure: knows nothing of sockets, SQLite or chains (agent/payment glues it to the ledger and swarm).
 */
export { SeedpayExtension, seedpayExtension, type SeedpayEvents, type SeedpayState, type SeedpayExtensionInit, type SeedpayExtensionComponents, type HelloIds, type PeerNetworks, type NetworkRefusal } from './extension.ts'
export { encodeOffers, decodeOffers, sameOffer, OFFERS_KEY, MAX_OFFERS, OFFER_BYTES, OffersEncodingError, type NetworkOffer } from './offers.ts'
export { encodeMessage, decodeMessage, ERROR_CODES, EXTENSION_NAME, MESSAGE_FIELDS, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, BEP10_FRAMING_BYTES, type SeedpayMessage, type HelloMessage, type ReceiptMessage, type CreditMessage, type ErrorMessage, type ErrorName } from './messages.ts'
export { ProtocolViolationError, WireStateError, type ViolationCode } from './errors.ts'
export { TypedEmitter } from '../util/typed-emitter.ts'
