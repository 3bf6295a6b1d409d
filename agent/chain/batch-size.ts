/**
 * Most entries per settleBatch (and per reserve); equals the contract's MAX_BATCH_SIZE (checked in test/agent/chain).
 * A module of its own, without ethers, because `seedpay settle --help` prints it (scripts/build.ts).
 */
export const MAX_BATCH_SIZE = 256
