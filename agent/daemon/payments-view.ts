/**
 * What the daemon needs of the payment side the CLI builds (agent/cli/payment-options.ts): the engine init and
 * attach for every paid torrent, and a read-only view of the payee's books for the metrics, API and dashboard.
 * Declared here, on the daemon's side, so the daemon never imports the CLI (the CLI builds these and passes them in).
 */
import type { Ledger } from '../ledger/index.ts'
import type { Address, EscrowDomain, FeeCoin } from '../pay/index.ts'
import type { PayeeCoverage, PaymentAgent } from '../payment/index.ts'
import type { SettlementScheduler } from '../settle/index.ts'
import type { EngineInit, TorrentEngine } from '../swarm/index.ts'

/** What a payee's run exposes to observers: read-only use of its ledger, scheduler and coverage. */
export interface PayeeView {
  account: Address
  /** What we charge, base units per MiB. */
  pricePerMiB: bigint
  network: string
  domain: EscrowDomain
  feeCoin: FeeCoin
  ledger: Ledger
  scheduler: SettlementScheduler
  coverage: PayeeCoverage
  agent: PaymentAgent
}

/** A paid torrent's own terms; what is unset is the daemon's `[payments]`. */
export interface TorrentTerms {
  /** Base units per MiB (> 0). */
  pricePerMiB?: bigint
  /** Upload slots for peers that never pay (0: payers only). */
  freeSlots?: number
}

/** The payment side of a charging daemon: mounted on each paid torrent's engine, at the torrent's terms. */
export interface DaemonPayments {
  mount: (terms: TorrentTerms) => {
    engineInit: Pick<EngineInit, 'extensions' | 'uploadPolicy' | 'downloadPolicy' | 'uploadSlots'>
    attach: (engine: TorrentEngine) => () => void
    /** The account paying us for this torrent's peer, if any. */
    payerOf: (peerId: string) => Address | null
  }
  payee: PayeeView
}
