export { DhtNode, PUBLIC_BOOTSTRAP, MAX_PEERS_PER_LOOKUP, type DhtNodeInit, type DhtStats } from './dht-node.ts'
export { AddressPolicy, isPublicIPv4 } from './address-policy.ts'
export { checkInbound, checkOutbound, MAX_KRPC_BYTES, MAX_VALUES_PER_REPLY, MAX_NODES_PER_REPLY, type Verdict } from './krpc-guard.ts'
export { RateLimiter } from './rate-limit.ts'
