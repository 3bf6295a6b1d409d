/** The payment layer: seedpay sessions per peer over pay (channels), wire (extension) and ledger. */
export { PaymentAgent, type PaymentAgentInit, type PaymentAgentComponents, type PaymentUploadPolicy, type PaymentTerms } from './agent.ts'
export { PaymentSession, type PaymentSessionInit, type PaymentSessionComponents } from './session.ts'
export type { PaymentEvents, PeerRef } from './events.ts'
export { ChainSignerDirectory, type RefreshableSignerDirectory, type ChainSignerDirectoryInit } from './signer-directory.ts'
export { swarmInit, connectSwarm } from './swarm.ts'
export { PayeeCoverage, DEFAULT_MAX_STALENESS_MS, type PayeeCoverageComponents, type PayeeCoverageInit, type CoverageDecision, type EscrowEventSource } from './payee-coverage.ts'
export { PayerFunds, type PayerFundsComponents, type PayerFundsInit } from './payer-funds.ts'
export { CoverageBook } from './coverage-book.ts'
