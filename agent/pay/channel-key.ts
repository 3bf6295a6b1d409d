/**
 * The one identity of a payment channel, shared by pay, wire, ledger, settle and audit: one escrow on one chain,
 * one payer, one payee. Build it only with `channelKey`, so addresses are always in the one lowercase form.
 */
import { toAddress, type Address } from './bytes.ts'
import type { EscrowDomain } from './receipt.ts'

export interface ChannelKey {
  chainId: bigint
  escrow: Address
  payer: Address
  payee: Address
}

export function channelKey (domain: EscrowDomain, payer: string, payee: string): ChannelKey {
  return { chainId: domain.chainId, escrow: toAddress(domain.escrow), payer: toAddress(payer), payee: toAddress(payee) }
}

/** Whether a channel belongs to `domain`. */
export function inDomain (key: ChannelKey, domain: EscrowDomain): boolean {
  return key.chainId === domain.chainId && key.escrow === toAddress(domain.escrow)
}
