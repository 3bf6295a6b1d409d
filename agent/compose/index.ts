/** agent/compose: the one place the agent's parts are built and wired (CLI, demo and tests use it). */
export { createPayments, DEFAULT_EXPOSURE_MIB, type Payments, type PaymentsComponents, type PaymentsOptions, type PayeeOptions, type PayerOptions, type TorrentTerms, type PaymentsMount } from './payments.ts'
export { PaymentsConfigError } from './errors.ts'
