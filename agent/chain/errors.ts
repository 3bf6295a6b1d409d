/**
 * Errors thrown by agent/chain. Reverts of the escrow (and of the token it calls) are decoded with the
 * contract's ABI into `EscrowRevertError`; `isEscrowRevert(err, 'InsufficientBalance')` narrows its args.
 */

/** The escrow's and the token's custom errors, with their arguments as the ABI names them. */
export interface EscrowErrorArgs {
  ZeroAmount: Record<string, never>
  ZeroAddress: Record<string, never>
  SelfPayment: { account: string }
  InsufficientBalance: { payer: string, available: bigint, requested: bigint }
  NoWithdrawalPending: { payer: string }
  WithdrawalLocked: { payer: string, unlockAt: bigint, nowTimestamp: bigint }
  WithdrawalExpired: { payer: string, expiredAt: bigint, nowTimestamp: bigint }
  LaneOverflow: { payer: string, payee: string, lane: bigint, amount: bigint }
  InsufficientLane: { payer: string, payee: string, lane: bigint, requested: bigint }
  NoReleasePending: { payer: string, payee: string }
  ReleaseLocked: { payer: string, payee: string, unlockAt: bigint, nowTimestamp: bigint }
  ReleaseExpired: { payer: string, payee: string, expiredAt: bigint, nowTimestamp: bigint }
  AmountTooLarge: { amount: bigint }
  SignerUnchanged: { signer: string }
  SignerRotationPending: { previous: string, previousValidUntil: bigint }
  InvalidSignatureLength: { length: bigint }
  SignatureMalleable: { s: string }
  InvalidSigner: { payer: string, recovered: string }
  NothingToSettle: { payer: string, payee: string, cumulativeAmount: bigint, paidOut: bigint }
  EmptyBatch: Record<string, never>
  MalformedBatch: { length: bigint }
  BatchTooLarge: { entries: bigint, maxEntries: bigint }
  NothingReceived: { requested: bigint }
  // NativeBandwidthEscrow only
  NothingToClaim: { account: string }
  ClaimFailed: { to: string, amount: bigint }
  UseDeposit: Record<string, never>
  SafeERC20FailedOperation: { token: string }
  SafeCastOverflowedUintDowncast: { bits: bigint, value: bigint }
  ReentrancyGuardReentrantCall: Record<string, never>
  ERC20InsufficientAllowance: { spender: string, allowance: bigint, needed: bigint }
  ERC20InsufficientBalance: { sender: string, balance: bigint, needed: bigint }
  ERC20InvalidApprover: { approver: string }
  ERC20InvalidReceiver: { receiver: string }
  ERC20InvalidSender: { sender: string }
  ERC20InvalidSpender: { spender: string }
  /** `revert("reason")` / `require(cond, "reason")`. */
  Error: { message: string }
  /** A Solidity panic (0x11 overflow, 0x12 division by zero, ...). */
  Panic: { code: bigint }
}

export type EscrowErrorName = keyof EscrowErrorArgs

function formatArgs (args: Record<string, unknown>): string {
  return Object.entries(args).map(([k, v]) => `${k}=${String(v)}`).join(', ')
}

/** A transaction or call reverted with a known custom error, decoded with the contract's ABI. */
export class EscrowRevertError<N extends EscrowErrorName = EscrowErrorName> extends Error {
  constructor (
    /** The Solidity error's name, e.g. `InsufficientBalance`. */
    readonly errorName: N,
    /** The error's arguments by ABI name; addresses are 0x-hex (checksummed), integers bigint. */
    readonly args: EscrowErrorArgs[N],
    /** The raw revert data. */
    readonly data: string,
    /** The transaction id when a mined transaction reverted (undefined for a simulated call). */
    readonly txId?: string
  ) {
    super(`reverted with ${errorName}(${formatArgs(args)})${txId === undefined ? '' : ` in ${txId}`}`)
    this.name = 'EscrowRevertError'
  }
}

/** Narrows `err` to a revert with the custom error `name` (any, when `name` is omitted). */
export function isEscrowRevert<N extends EscrowErrorName> (err: unknown, name?: N): err is EscrowRevertError<N> {
  return err instanceof EscrowRevertError && (name === undefined || err.errorName === name)
}

/** A revert whose data matches no error in the ABI (or carries no data at all). */
export class UnknownRevertError extends Error {
  constructor (readonly data: string | undefined, readonly txId: string | undefined, detail: string) {
    super(`reverted${data === undefined || data === '0x' ? ' without data' : ` with unknown data ${data.slice(0, 74)}`}${txId === undefined ? '' : ` in ${txId}`}: ${detail}`)
    this.name = 'UnknownRevertError'
  }
}

/** A value does not fit the width the packed batch encoding gives it. */
export class ValueOutOfRangeError extends Error {
  constructor (readonly field: string, readonly value: bigint, readonly bits: number) {
    super(`${field} = ${value} does not fit in uint${bits}`)
    this.name = 'ValueOutOfRangeError'
  }
}

/** A signature is neither 65-byte r‖s‖v nor 64-byte r‖vs, or is malleable (high s). */
export class MalformedSignatureError extends Error {
  constructor (readonly signature: string, reason: string) {
    super(`invalid signature ${signature.slice(0, 20)}…: ${reason}`)
    this.name = 'MalformedSignatureError'
  }
}

/** The escrow's `domainSeparator()` was not made for the chain id a receipt would be signed with: never sign for it. */
export class ReceiptDomainMismatchError extends Error {
  constructor (readonly escrow: string, readonly chainId: bigint, readonly onChain: string) {
    super(`the escrow ${escrow} does not sign receipts for chain id ${chainId} (its domain separator is ${onChain})`)
    this.name = 'ReceiptDomainMismatchError'
  }
}

/** A token-only operation (approve, the TestBTT faucet) was asked of an escrow of the chain's native coin, or a native
 * deposit of a chain whose client cannot send coins with a call. */
export class NativeAssetError extends Error {
  constructor (readonly operation: string, reason: string) {
    super(`${operation}: ${reason}`)
    this.name = 'NativeAssetError'
  }
}

/** A batch entry's receipt names another payee than the batch's. */
export class BatchPayeeMismatchError extends Error {
  constructor (readonly index: number, readonly expected: string, readonly actual: string) {
    super(`batch entry ${index} is for payee ${actual}, not ${expected}`)
    this.name = 'BatchPayeeMismatchError'
  }
}

/** A batch is empty or longer than the contract's MAX_BATCH_SIZE. */
export class BatchSizeError extends Error {
  constructor (readonly entries: number, readonly max: number) {
    super(`a batch holds 1 to ${max} entries, got ${entries}`)
    this.name = 'BatchSizeError'
  }
}

/** An address is neither 0x-hex, 41-hex nor base58check TRON. */
export class InvalidAddressError extends Error {
  constructor (readonly address: string, reason: string) {
    super(`invalid address ${JSON.stringify(address)}: ${reason}`)
    this.name = 'InvalidAddressError'
  }
}

/** The node refused or failed a request (broadcast rejected, transaction not found in time, ...). */
export class ChainRequestError extends Error {
  constructor (message: string, readonly detail?: unknown) {
    super(message)
    this.name = 'ChainRequestError'
  }
}

/** A client was asked to write but holds no key. */
export class ReadOnlyClientError extends Error {
  constructor (method: string) {
    super(`${method} needs a signing key; this client is read-only`)
    this.name = 'ReadOnlyClientError'
  }
}

/**
 * A TRON write would burn more TRX for its energy (and bandwidth) than the account holds: refused before it is
 * signed, since java-tron would take the fee limit's worth and fail the transaction half way (OUT_OF_ENERGY).
 */
export class InsufficientEnergyError extends Error {
  constructor (
    readonly method: string,
    readonly account: string,
    /** Energy the write is estimated to use, and what the account has staked for it right now. */
    readonly energy: bigint,
    readonly energyAvailable: bigint,
    /** Sun the write would burn for the energy (and bandwidth) not covered by staking, and the account's balance. */
    readonly burnSun: bigint,
    readonly balanceSun: bigint
  ) {
    super(`${method} needs ~${energy} energy; ${account} has ${energyAvailable} staked, so it would burn ~${burnSun} sun but holds ${balanceSun} sun`)
    this.name = 'InsufficientEnergyError'
  }
}

/** A TRON write's estimated energy, priced with its margin, is above the most the client may set as fee limit. */
export class FeeLimitExceededError extends Error {
  constructor (readonly method: string, readonly energy: bigint, readonly feeLimitSun: bigint, readonly maxFeeLimitSun: bigint) {
    super(`${method} needs ~${energy} energy, a fee limit of ${feeLimitSun} sun, above the maximum of ${maxFeeLimitSun} sun`)
    this.name = 'FeeLimitExceededError'
  }
}
