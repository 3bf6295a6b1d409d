// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title seedpay bandwidth escrow, whatever it holds
/// @notice Holds a payer's BTT and pays payees against signed, cumulative bandwidth receipts. What is shared by
/// the TRC-20 escrow (`IBandwidthEscrow`) and the native-coin escrow (`INativeBandwidthEscrow`); only deposits and
/// the way money leaves differ.
/// @dev A receipt is TIP-712 typed data (EIP-712 with 20-byte addresses) under the domain
/// `{name: "seedpay", version: "1", chainId, verifyingContract}`:
/// `Receipt(address payer,address payee,uint256 cumulativeBytes,uint256 cumulativeAmount)`.
/// The escrow stores, per pair, the cumulative amount already paid and pays only the difference, so an old or
/// replayed receipt pays nothing. Money leaves a payer's balance only to a payee holding its receipt, or to the
/// payer itself after `withdrawalDelay` has passed since it announced the withdrawal.
///
/// A payer's money is in two places: its free balance (`balanceOf`), which backs receipts to every payee, and
/// its lanes (`laneOf`), one per payee, which back only that payee's receipts. Settlement takes from the pair's
/// lane first, then from the free balance. A free balance can be emptied at once by a receipt to any payee (even
/// one the payer owns); a lane leaves only through `requestRelease` → `withdrawalDelay` → `release`, with an
/// event the payee's watchtower sees in time. Invariant: what the escrow holds equals the sum of all free balances
/// and all lanes (plus, in the native escrow, all unclaimed payouts).
///
/// Events as the audit trail: `Settled`, `BatchSettled` records and `Bounced` do not say how much of a payment
/// came from the lane. Replaying every event in chain order rebuilds it: a pair's lane grows by `LaneReserved`,
/// shrinks by `LaneReleased`, and a payment `paid` on the pair took `min(paid, lane before it)` from the lane
/// and the rest from the free balance.
interface IBandwidthEscrowCore {
    /// @notice A withdrawal (or lane release) request; `unlockAt` is zero when none is pending. It can be
    /// executed from `unlockAt` until `unlockAt + withdrawalWindow` (exclusive); after that it has expired.
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
    /// @notice `withdraw` was called after the request's window closed at `expiredAt`; request again.
    error WithdrawalExpired(address payer, uint64 expiredAt, uint256 nowTimestamp);
    /// @notice `reserve` would take a lane above 2^128 - 1.
    error LaneOverflow(address payer, address payee, uint256 lane, uint256 amount);
    /// @notice `requestRelease` asked for more than the lane holds.
    error InsufficientLane(address payer, address payee, uint256 lane, uint256 requested);
    /// @notice `release` or `cancelRelease` was called with no release pending for the lane.
    error NoReleasePending(address payer, address payee);
    /// @notice `release` was called before the delay ran out.
    error ReleaseLocked(address payer, address payee, uint64 unlockAt, uint256 nowTimestamp);
    /// @notice `release` was called after the request's window closed at `expiredAt`; request again.
    error ReleaseExpired(address payer, address payee, uint64 expiredAt, uint256 nowTimestamp);
    /// @notice A receipt's cumulative amount exceeds 2^128 - 1, the width a pair stores.
    error AmountTooLarge(uint256 amount);
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
    /// @notice A batch's calldata is not a whole number of entries (`BATCH_ENTRY_SIZE`, or `RESERVE_ENTRY_SIZE`
    /// for `reserve`).
    error MalformedBatch(uint256 length);
    /// @notice A batch holds more entries than `MAX_BATCH_SIZE`.
    error BatchTooLarge(uint256 entries, uint256 maxEntries);

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
    /// @notice `amount` moved from `payer`'s free balance into its lane for `payee`, which now holds `lane`.
    event LaneReserved(address indexed payer, address indexed payee, uint256 amount, uint256 lane);
    /// @notice `payer` announced it will take `amount` out of its lane for `payee` once `unlockAt` has passed.
    event LaneReleaseRequested(address indexed payer, address indexed payee, uint256 amount, uint64 unlockAt);
    /// @notice `payer` took back its pending release request for the lane to `payee`.
    event LaneReleaseCancelled(address indexed payer, address indexed payee);
    /// @notice `amount` moved from `payer`'s lane for `payee` back into its free balance.
    event LaneReleased(address indexed payer, address indexed payee, uint256 amount);

    // ---------------------------------------------------------------- views

    /// @notice The TRC-20 token held (BTT on mainnet), or the zero address for an escrow of the chain's native coin
    /// (BTT on BitTorrent Chain): how a client tells the two apart.
    function token() external view returns (address);

    /// @notice Seconds between a withdrawal (or release) request and the earliest `withdraw` (`release`), and how
    /// long a replaced signer keeps counting.
    function withdrawalDelay() external view returns (uint64);

    /// @notice Seconds an unlocked withdrawal or release request stays executable; equals `withdrawalDelay`.
    /// @dev A payee's watchtower then tracks a request for a bounded time (two delays at most): a stale request
    /// cannot be executed months later without a fresh event.
    function withdrawalWindow() external view returns (uint64);

    /// @notice Bytes per packed `settleBatch` entry (108).
    function BATCH_ENTRY_SIZE() external view returns (uint256);

    /// @notice Most entries in one `settleBatch` or `reserve` (256); bounds the call's energy well below a block's
    /// limit.
    function MAX_BATCH_SIZE() external view returns (uint256);

    /// @notice Bytes per packed `reserve` entry (36).
    function RESERVE_ENTRY_SIZE() external view returns (uint256);

    /// @notice The EIP-712 type hash of `Receipt`.
    function RECEIPT_TYPEHASH() external view returns (bytes32);

    /// @notice The EIP-712 domain separator for this escrow on this chain.
    function domainSeparator() external view returns (bytes32);

    /// @notice The payer's free balance, including any amount pending withdrawal (it still backs receipts) and
    /// excluding its lanes.
    function balanceOf(address payer) external view returns (uint256);

    /// @notice Cumulative amount ever paid from `payer` to `payee`.
    function paidOut(address payer, address payee) external view returns (uint256);

    /// @notice What `payer` holds reserved for `payee` (`lane`), and the pair's cumulative payout.
    function laneOf(address payer, address payee) external view returns (uint256 lane, uint256 paidOut);

    /// @notice The payer's pending withdrawal request, if any.
    function withdrawalOf(address payer) external view returns (Withdrawal memory);

    /// @notice The payer's pending release request for its lane to `payee`, if any.
    function releaseOf(address payer, address payee) external view returns (Withdrawal memory);

    /// @notice The payer's current receipt signer (zero: only the payer's own key signs), and the replaced
    /// signer that still counts until `previousValidUntil`.
    function signerOf(address payer)
        external
        view
        returns (address signer, address previous, uint64 previousValidUntil);

    /// @notice The EIP-712 digest a payer signs for `receipt`.
    function hashReceipt(Receipt calldata receipt) external view returns (bytes32);

    // ---------------------------------------------------------------- payer

    /// @notice Announces a withdrawal of `amount` from the free balance; it can be executed after
    /// `withdrawalDelay`, within `withdrawalWindow`.
    /// @dev Replaces any pending request and restarts the clock. The amount keeps backing receipts until it is
    /// withdrawn, so payees have the whole delay to settle.
    function requestWithdrawal(uint256 amount) external;

    /// @notice Drops the caller's pending withdrawal request.
    function cancelWithdrawal() external;

    /// @notice Pays the caller `min(requested, free balance)` once its request has unlocked, and before it expires
    /// at `unlockAt + withdrawalWindow` (then it reverts with `WithdrawalExpired`: request again).
    function withdraw() external;

    /// @notice Moves money from the caller's free balance into its lanes: for each entry, `amount` into the lane
    /// (caller, `payee`). Only `payee`'s receipts can take it; it leaves only through `requestRelease`/`release`.
    /// @dev `entries` is a packed list of `RESERVE_ENTRY_SIZE`-byte entries `payee (20) ‖ amount (uint128, 16)`,
    /// at most `MAX_BATCH_SIZE`. A payee may appear twice (the amounts add up). The whole call reverts if any
    /// entry is invalid or the entries' total exceeds the free balance. Emits `LaneReserved` per entry.
    function reserve(bytes calldata entries) external;

    /// @notice Announces taking `amount` out of the caller's lane for `payee` back into its free balance; it can be
    /// executed with `release` after `withdrawalDelay`, within `withdrawalWindow`.
    /// @dev Replaces any pending request for that lane and restarts the clock. The lane keeps backing the payee's
    /// receipts until it is released, so the payee has the whole delay to settle.
    function requestRelease(address payee, uint256 amount) external;

    /// @notice Drops the caller's pending release request for its lane to `payee`.
    function cancelRelease(address payee) external;

    /// @notice Moves `min(requested, lane)` from the caller's lane for `payee` into its free balance once the
    /// request has unlocked, and before it expires (then `ReleaseExpired`: request again).
    /// @dev The lane may have shrunk meanwhile: the payee settled receipts against it during the delay.
    function release(address payee) external;

    /// @notice Names `signer` as the hot key that signs receipts for the caller (zero: only the caller's key).
    /// @dev IMPORTANT: the replaced signer keeps counting for `withdrawalDelay`, so receipts it already issued
    /// stay cashable; for the same reason a payer can rotate at most once per `withdrawalDelay`.
    function setSigner(address signer) external;

    // ---------------------------------------------------------------- payee or relayer

    /// @notice Pays `receipt.payee` what `receipt` is worth beyond what the pair was already paid.
    /// @dev Anyone may call; money only goes to the payee. Takes from the pair's lane first, then from the
    /// payer's free balance; pays at most both together, the rest bounces (event `Bounced`) and stays claimable
    /// with the same or a newer receipt. `receipt.cumulativeAmount` above 2^128 - 1 reverts with `AmountTooLarge`.
    /// `Settled` does not split the payment: the lane's part is `min(paid, lane before)`.
    /// @param signature 65-byte `r‖s‖v` or 64-byte EIP-2098 `r‖vs`.
    /// @return paid The amount paid to the payee.
    function settle(Receipt calldata receipt, bytes calldata signature) external returns (uint256 paid);

    /// @notice Settles many payers' receipts to one `payee` with a single payout.
    /// @dev `entries` is a packed list of `BATCH_ENTRY_SIZE`-byte entries:
    /// `payer (20) ‖ cumulativeBytes (uint64, 8) ‖ cumulativeAmount (uint128, 16) ‖ r (32) ‖ vs (32)`.
    /// A stale, wrongly signed or unfunded entry is skipped and counted, never reverted; a validly signed entry
    /// the payer cannot fully cover emits `Bounced` for the shortfall (all of it, when nothing was paid).
    /// Each entry takes from its pair's lane first, then from the payer's free balance, as `settle` does.
    /// @return totalPaid The amount paid to the payee.
    /// @return skipped How many entries paid nothing.
    function settleBatch(address payee, bytes calldata entries) external returns (uint256 totalPaid, uint256 skipped);
}
