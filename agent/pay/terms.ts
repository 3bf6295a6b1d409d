/**
 * What a payer accepts from a payee: the same chain and escrow as its own (a receipt for another domain
 * could never be cashed where its money is), an account that can be paid, and a price no higher than its
 * maximum. Whether the peer speaks for that account is the hello proof's question (hello-proof.ts).
 */
import { TermsRefusedError } from './errors.ts'
import { priceText } from './btt.ts'
import type { Address } from './bytes.ts'
import type { EscrowDomain } from './receipt.ts'

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000'

export interface PeerTerms {
  chainId: bigint
  escrow: Address
  account: Address
  pricePerMiB: bigint
  credit: bigint
}

/** Throws TermsRefusedError unless `peer` may be paid by `self` at most `maxPricePerMiB`. */
export function checkTerms (self: { domain: EscrowDomain, account: Address }, peer: PeerTerms, maxPricePerMiB: bigint): void {
  if (peer.chainId !== self.domain.chainId) {
    throw new TermsRefusedError('chain', `peer is on chain ${peer.chainId}, we are on ${self.domain.chainId}`)
  }
  if (peer.escrow !== self.domain.escrow.toLowerCase()) {
    throw new TermsRefusedError('escrow', `peer uses escrow ${peer.escrow}, we use ${self.domain.escrow}`)
  }
  if (peer.account === self.account) throw new TermsRefusedError('self', `peer announces our own account ${peer.account}`)
  // the escrow pays neither: receipts to them could never be settled, so serving on them is a mistake or a trick
  if (peer.account === ZERO_ADDRESS || peer.account === peer.escrow) {
    throw new TermsRefusedError('payee-address', `peer announces ${peer.account === ZERO_ADDRESS ? 'the zero address' : 'the escrow'} as its account`)
  }
  if (peer.pricePerMiB > maxPricePerMiB) {
    throw new TermsRefusedError('price', `peer asks ${priceText(peer.pricePerMiB)}, we pay at most ${priceText(maxPricePerMiB)}`)
  }
}
