// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title seedpay bandwidth escrow
/// @notice Holds a payer's BTT (TRC-20) and pays payees against signed, cumulative bandwidth receipts.
/// @dev A receipt is TIP-712 typed data (EIP-712 with 20-byte addresses) under the domain
/// `{name: "seedpay", version: "1", chainId, verifyingContract}`:
/// `Receipt(address payer,address payee,uint256 cumulativeBytes,uint256 cumulativeAmount)`.
/// The escrow stores, per pair, the cumulative amount already paid and pays only the difference, so an old or
/// replayed receipt pays nothing. Money leaves a payer's balance only to a payee holding its receipt, or to the
/// payer itself after `withdrawalDelay` has passed since it announced the withdrawal.
interface IBandwidthEscrow {
    /// @notice A withdrawal request; `unlockAt` is zero when none is pending.
    struct Withdrawal {
        uint192 amount;
        uint64 unlockAt;
    }

    /// @notice A receipt as the payer signed it.
    struct Receipt {
        address payer;
        address payee;
        uint256 cumulativeBytes;
        uint256 cumulativeAmount;
    }

    // ---------------------------------------------------------------- errors

    /// @notice An amount argument was zero.
    error ZeroAmount();
    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice A payer tried to pay itself.
    error SelfPayment(address account);
    /// @notice The payer's balance is below what was asked of it.
    error InsufficientBalance(address payer, uint256 available, uint256 requested);
    /// @notice `withdraw` or `cancelWithdrawal` was called with no request pending.
    error NoWithdrawalPending(address payer);
    /// @notice `withdraw` was called before the delay ran out.
    error WithdrawalLocked(address payer, uint64 unlockAt, uint256 nowTimestamp);
    /// @notice `setSigner` named the signer that is already set.
    error SignerUnchanged(address signer);
    /// @notice A replaced signer is still within its grace period; rotating again would cut it short and strand
    /// the receipts it issued.
    error SignerRotationPending(address previous, uint64 previousValidUntil);
    /// @notice A signature was neither 64 (EIP-2098 compact) nor 65 bytes long.
    error InvalidSignatureLength(uint256 length);
    /// @notice A signature's `s` lies in the upper half of the curve order (malleable).
    error SignatureMalleable(bytes32 s);
    /// @notice A signature does not recover to the payer or a signer the payer authorised.
    error InvalidSigner(address payer, address recovered);
    /// @notice The receipt's cumulative amount does not exceed what the pair was already paid.
    error NothingToSettle(address payer, address payee, uint256 cumulativeAmount, uint256 paidOut);
    /// @notice A batch was empty.
    error EmptyBatch();
    /// @notice A batch's calldata is not a whole number of `BATCH_ENTRY_SIZE` entries.
    error MalformedBatch(uint256 length);
    /// @notice A batch holds more entries than `MAX_BATCH_SIZE`.
    error BatchTooLarge(uint256 entries, uint256 maxEntries);
    /// @notice A deposit's transfer left the escrow's token balance unchanged (e.g. a token taking a 100% fee).
    error NothingReceived(uint256 requested);

    // ---------------------------------------------------------------- events

    /// @notice `amount` (as received, after any transfer fee) was added to `payer`'s balance by `from`.
    event Deposited(address indexed payer, address indexed from, uint256 amount);
    /// @notice `payer` announced it will withdraw `amount` once `unlockAt` has passed.
    event WithdrawalRequested(address indexed payer, uint256 amount, uint64 unlockAt);
    /// @notice `payer` took back its pending withdrawal request.
    event WithdrawalCancelled(address indexed payer);
    /// @notice `payer` withdrew `amount` to itself.
    event Withdrawn(address indexed payer, uint256 amount);
    /// @notice `payer` named `signer` as its receipt key; `previous` stays valid until `previousValidUntil`.
    event SignerChanged(address indexed payer, address indexed signer, address previous, uint64 previousValidUntil);
    /// @notice `paid` went from `payer` to `payee` against a receipt for `cumulativeBytes` / `cumulativeAmount`.
    event Settled(
        address indexed payer,
        address indexed payee,
        uint256 paid,
        uint256 cumulativeBytes,
        uint256 cumulativeAmount
    );
    /// @notice A receipt was worth `unpaid` more than the payer's balance; it stays claimable.
    event Bounced(address indexed payer, address indexed payee, uint256 unpaid);
    /// @notice One `settleBatch` call. `records` holds one 60-byte record per settled entry, in calldata order:
    /// `payer (20) ‖ cumulativeBytes (uint64, 8) ‖ cumulativeAmount (uint128, 16) ‖ paid (uint128, 16)`.
    /// An entry that paid less than it was worth also emitted `Bounced`. Skipped entries have no record.
    event BatchSettled(address indexed payee, uint256 totalPaid, uint256 skipped, bytes records);

    // ---------------------------------------------------------------- views

    /// @notice The TRC-20 token held (BTT on mainnet).
    function token() external view returns (address);

    /// @notice Seconds between a withdrawal request and the earliest `withdraw`, and how long a replaced signer
    /// keeps counting.
    function withdrawalDelay() external view returns (uint64);

    /// @notice Bytes per packed `settleBatch` entry (108).
    function BATCH_ENTRY_SIZE() external view returns (uint256);

    /// @notice Most entries in one `settleBatch` (256); bounds the call's energy well below a block's limit.
    function MAX_BATCH_SIZE() external view returns (uint256);

    /// @notice The EIP-712 type hash of `Receipt`.
    function RECEIPT_TYPEHASH() external view returns (bytes32);

    /// @notice The EIP-712 domain separator for this escrow on this chain.
    function domainSeparator() external view returns (bytes32);

    /// @notice The payer's balance, including any amount pending withdrawal (it still backs receipts).
    function balanceOf(address payer) external view returns (uint256);

    /// @notice Cumulative amount ever paid from `payer` to `payee`.
    function paidOut(address payer, address payee) external view returns (uint256);

    /// @notice The payer's pending withdrawal request, if any.
    function withdrawalOf(address payer) external view returns (Withdrawal memory);

    /// @notice The payer's current receipt signer (zero: only the payer's own key signs), and the replaced
    /// signer that still counts until `previousValidUntil`.
    function signerOf(address payer)
        external
        view
        returns (address signer, address previous, uint64 previousValidUntil);

    /// @notice The EIP-712 digest a payer signs for `receipt`.
    function hashReceipt(Receipt calldata receipt) external view returns (bytes32);

    // ---------------------------------------------------------------- payer

    /// @notice Moves `amount` tokens from the caller into its own balance (approve first).
    /// @dev Credits the tokens actually received, so fee-on-transfer tokens cannot inflate balances.
    function deposit(uint256 amount) external;

    /// @notice Moves `amount` tokens from the caller into `payer`'s balance (approve first).
    function depositFor(address payer, uint256 amount) external;

    /// @notice Announces a withdrawal of `amount`; it can be executed after `withdrawalDelay`.
    /// @dev Replaces any pending request and restarts the clock. The amount keeps backing receipts until it is
    /// withdrawn, so payees have the whole delay to settle.
    function requestWithdrawal(uint256 amount) external;

    /// @notice Drops the caller's pending withdrawal request.
    function cancelWithdrawal() external;

    /// @notice Pays the caller `min(requested, balance)` once its request has unlocked.
    function withdraw() external;

    /// @notice Names `signer` as the hot key that signs receipts for the caller (zero: only the caller's key).
    /// @dev IMPORTANT: the replaced signer keeps counting for `withdrawalDelay`, so receipts it already issued
    /// stay cashable; for the same reason a payer can rotate at most once per `withdrawalDelay`.
    function setSigner(address signer) external;

    // ---------------------------------------------------------------- payee or relayer

    /// @notice Pays `receipt.payee` what `receipt` is worth beyond what the pair was already paid.
    /// @dev Anyone may call; money only goes to the payee. Pays at most the payer's balance; the rest bounces
    /// (event `Bounced`) and stays claimable with the same or a newer receipt.
    /// @param signature 65-byte `r‖s‖v` or 64-byte EIP-2098 `r‖vs`.
    /// @return paid The amount transferred to the payee.
    function settle(Receipt calldata receipt, bytes calldata signature) external returns (uint256 paid);

    /// @notice Settles many payers' receipts to one `payee` with a single token transfer.
    /// @dev `entries` is a packed list of `BATCH_ENTRY_SIZE`-byte entries:
    /// `payer (20) ‖ cumulativeBytes (uint64, 8) ‖ cumulativeAmount (uint128, 16) ‖ r (32) ‖ vs (32)`.
    /// A stale, wrongly signed or unfunded entry is skipped and counted, never reverted; a validly signed entry
    /// the payer cannot fully cover emits `Bounced` for the shortfall (all of it, when nothing was paid).
    /// @return totalPaid The amount transferred to the payee.
    /// @return skipped How many entries paid nothing.
    function settleBatch(address payee, bytes calldata entries) external returns (uint256 totalPaid, uint256 skipped);
}
