/** The payment core: receipts, signing, fast verification, prices, credit. Pure: no sockets, SQLite or chains. */
export * from './receipt.ts'
export * from './errors.ts'
export * from './bytes.ts'
export { BTT_DECIMALS, bttUnits, formatBtt, formatUnits, bttText, priceText, groupThousands, feeText, evmFeeCoin, TRX_FEE_COIN, type BttFormat, type FeeCoin } from './btt.ts'
export { MIB, BLOCK_LENGTH, MAX_RECEIPT_BYTES, MAX_RECEIPT_AMOUNT, MAX_PRICE, amountFor } from './price.ts'
export { ReceiptHasher } from './digest.ts'
export { HotKeySigner, type ReceiptSigner } from './signer.ts'
export { addressOfKey } from './key-address.ts'
export { ReceiptVerifier, recoverDigest, isHighS, SIGNATURE_LENGTH, type SignerDirectory, type ReceiptVerifierInit, type ReceiptVerifierComponents } from './verifier.ts'
export { CreditPolicy, DEFAULT_CREDIT, INITIAL_CREDIT, type CreditPolicyInit } from './credit.ts'
export { checkTerms, type PeerTerms } from './terms.ts'
export { PayeeChannel, DEFAULT_MIN_RECEIPT_STEP, type PayeeChannelInit, type PayeeChannelComponents } from './payee-channel.ts'
export { PayerChannel, type PayerChannelInit, type PayerChannelComponents } from './payer-channel.ts'
export { coverageOf, coveredBytes, covers, settlingHelps, unsettledOf, NO_EXIT, type Coverage, type CoverageLimits, type PairBacking, type PairExposure, type PendingExit } from './coverage.ts'
export { PayerBudget, type PayeeFunds, type PayerBudgetInit } from './budget.ts'
export {
  HelloProver, HELLO_TYPE_STRING, HELLO_TYPEHASH, HELLO_TYPES, helloProofDigest, helloProofMessage, signHelloProof,
  recoverHelloProof, verifyHelloProof, type HelloProofFields, type HelloProverComponents, type HelloProverInit
} from './hello-proof.ts'
export { channelKey, inDomain, type ChannelKey } from './channel-key.ts'
export { paceReceipt, receiptStep, RECEIPT_INTERVAL_MS, type PaceInput } from './receipt-pacer.ts'
