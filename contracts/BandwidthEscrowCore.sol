// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IBandwidthEscrowCore} from "./IBandwidthEscrowCore.sol";
import {BatchEntryCodec} from "./libraries/BatchEntry.sol";
import {ReceiptHash} from "./libraries/ReceiptHash.sol";
import {ReserveEntryCodec} from "./libraries/ReserveEntry.sol";

/// @title BandwidthEscrowCore
/// @notice seedpay's escrow without its asset: balances, lanes, withdrawals, signers and settlement, written once
/// for the TRC-20 escrow (`BandwidthEscrow`) and the native-coin escrow (`NativeBandwidthEscrow`). A concrete
/// escrow adds its deposits, `token()` and `_pay`, the one way money leaves.
/// No owner, no pause, no upgrade: nothing moves money except what `IBandwidthEscrowCore` documents.
abstract contract BandwidthEscrowCore is IBandwidthEscrowCore, EIP712, ReentrancyGuard {

    /// @inheritdoc IBandwidthEscrowCore
    bytes32 public constant RECEIPT_TYPEHASH =
        keccak256("Receipt(address payer,address payee,uint256 cumulativeBytes,uint256 cumulativeAmount)");

    /// @inheritdoc IBandwidthEscrowCore
    uint256 public constant BATCH_ENTRY_SIZE = BatchEntryCodec.SIZE;
    /// @inheritdoc IBandwidthEscrowCore
    uint256 public constant MAX_BATCH_SIZE = 256;
    /// @inheritdoc IBandwidthEscrowCore
    uint256 public constant RESERVE_ENTRY_SIZE = ReserveEntryCodec.SIZE;

    /// @dev The balance's low 96 bits share a slot with the signer, so settling a receipt reads one slot for both.
    /// Balances above 2^96 - 1 spill into `_balanceOverflow` (full balance = low + overflow), read only when
    /// the low part does not cover a debit.
    struct Account {
        uint96 balance;
        address signer;
    }

    /// @dev One slot per (payer, payee): settling a receipt its lane covers reads and writes only this slot, never
    /// the payer's account. uint128 is wide enough: `settle` refuses cumulative amounts above 2^128 - 1 and a batch
    /// entry cannot express them, so `paidOut <= 2^128 - 1`; `reserve` refuses to grow a lane past it.
    struct Pair {
        uint128 paidOut;
        uint128 lane;
    }

    struct PreviousSigner {
        address signer;
        uint64 validUntil;
    }

    /// @inheritdoc IBandwidthEscrowCore
    uint64 public immutable withdrawalDelay;

    mapping(address payer => Account) private _accounts;
    mapping(address payer => uint256) private _balanceOverflow;
    mapping(address payer => PreviousSigner) private _previousSigners;
    mapping(address payer => Withdrawal) private _withdrawals;
    mapping(address payer => mapping(address payee => Pair)) private _pairs;
    mapping(address payer => mapping(address payee => Withdrawal)) private _releases;

    /// @param withdrawalDelay_ Seconds between a withdrawal request and its execution.
    constructor(uint64 withdrawalDelay_) EIP712("seedpay", "1") {
        if (withdrawalDelay_ == 0) revert ZeroAmount();
        withdrawalDelay = withdrawalDelay_;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IBandwidthEscrowCore
    function withdrawalWindow() external view returns (uint64) {
        // One knob: the window a request stays executable is as long as the delay before it may be executed.
        return withdrawalDelay;
    }

    /// @inheritdoc IBandwidthEscrowCore
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IBandwidthEscrowCore
    function balanceOf(address payer) public view returns (uint256) {
        return _accounts[payer].balance + _balanceOverflow[payer];
    }

    /// @inheritdoc IBandwidthEscrowCore
    function paidOut(address payer, address payee) external view returns (uint256) {
        return _pairs[payer][payee].paidOut;
    }

    /// @inheritdoc IBandwidthEscrowCore
    function laneOf(address payer, address payee) external view returns (uint256, uint256) {
        Pair memory pair = _pairs[payer][payee];
        return (pair.lane, pair.paidOut);
    }

    /// @inheritdoc IBandwidthEscrowCore
    function withdrawalOf(address payer) external view returns (Withdrawal memory) {
        return _withdrawals[payer];
    }

    /// @inheritdoc IBandwidthEscrowCore
    function releaseOf(address payer, address payee) external view returns (Withdrawal memory) {
        return _releases[payer][payee];
    }

    /// @inheritdoc IBandwidthEscrowCore
    function signerOf(address payer)
        external
        view
        returns (address signer, address previous, uint64 previousValidUntil)
    {
        PreviousSigner memory prev = _previousSigners[payer];
        return (_accounts[payer].signer, prev.signer, prev.validUntil);
    }

    /// @inheritdoc IBandwidthEscrowCore
    function hashReceipt(Receipt calldata receipt) external view returns (bytes32) {
        return _receiptDigest(
            _domainSeparatorV4(), receipt.payer, receipt.payee, receipt.cumulativeBytes, receipt.cumulativeAmount
        );
    }

    // ---------------------------------------------------------------- payer

    /// @inheritdoc IBandwidthEscrowCore
    function requestWithdrawal(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 available = balanceOf(msg.sender);
        if (amount > available) revert InsufficientBalance(msg.sender, available, amount);
        uint64 unlockAt = uint64(block.timestamp) + withdrawalDelay;
        _withdrawals[msg.sender] = Withdrawal(SafeCast.toUint192(amount), unlockAt);
        emit WithdrawalRequested(msg.sender, amount, unlockAt);
    }

    /// @inheritdoc IBandwidthEscrowCore
    function cancelWithdrawal() external {
        if (_withdrawals[msg.sender].unlockAt == 0) revert NoWithdrawalPending(msg.sender);
        delete _withdrawals[msg.sender];
        emit WithdrawalCancelled(msg.sender);
    }

    /// @inheritdoc IBandwidthEscrowCore
    function withdraw() external {
        Withdrawal memory request = _withdrawals[msg.sender];
        if (request.unlockAt == 0) revert NoWithdrawalPending(msg.sender);
        if (block.timestamp < request.unlockAt) {
            revert WithdrawalLocked(msg.sender, request.unlockAt, block.timestamp);
        }
        // Subtracting, not adding, so no delay can overflow; on revert unlockAt + delay <= now fits uint64.
        if (block.timestamp - request.unlockAt >= withdrawalDelay) {
            revert WithdrawalExpired(msg.sender, request.unlockAt + withdrawalDelay, block.timestamp);
        }
        delete _withdrawals[msg.sender];
        // Payees may have settled during the delay: the payer gets what is left of its request.
        Account storage account = _accounts[msg.sender];
        uint256 amount = _debit(msg.sender, account, account.balance, account.signer, request.amount);
        emit Withdrawn(msg.sender, amount);
        if (amount > 0) _pay(msg.sender, amount);
    }

    /// @inheritdoc IBandwidthEscrowCore
    function setSigner(address signer) external {
        Account storage account = _accounts[msg.sender];
        address current = account.signer;
        if (signer == current) revert SignerUnchanged(signer);
        PreviousSigner memory prev = _previousSigners[msg.sender];
        if (prev.signer != address(0) && block.timestamp < prev.validUntil) {
            revert SignerRotationPending(prev.signer, prev.validUntil);
        }
        uint64 validUntil;
        if (current != address(0)) {
            validUntil = uint64(block.timestamp) + withdrawalDelay;
            _previousSigners[msg.sender] = PreviousSigner(current, validUntil);
        }
        account.signer = signer;
        emit SignerChanged(msg.sender, signer, current, validUntil);
    }

    /// @inheritdoc IBandwidthEscrowCore
    function reserve(bytes calldata entries) external {
        uint256 length = entries.length;
        if (length == 0) revert EmptyBatch();
        if (length % RESERVE_ENTRY_SIZE != 0) revert MalformedBatch(length);
        uint256 count = length / RESERVE_ENTRY_SIZE;
        if (count > MAX_BATCH_SIZE) revert BatchTooLarge(count, MAX_BATCH_SIZE);

        uint256 total;
        // unchecked: i is bounded by MAX_BATCH_SIZE, total by MAX_BATCH_SIZE * 2^128, lane + amount by 2^129.
        unchecked {
            for (uint256 i; i < count; ++i) {
                (address payee, uint128 amount) = ReserveEntryCodec.decode(entries, i);
                if (payee == address(0)) revert ZeroAddress();
                if (payee == msg.sender) revert SelfPayment(msg.sender);
                if (amount == 0) revert ZeroAmount();
                Pair storage pair = _pairs[msg.sender][payee];
                (uint128 paid, uint128 lane) = (pair.paidOut, pair.lane);
                uint256 grown = uint256(lane) + amount;
                if (grown > type(uint128).max) revert LaneOverflow(msg.sender, payee, lane, amount);
                // Both fields written: one SSTORE of the whole slot.
                pair.paidOut = paid;
                pair.lane = uint128(grown);
                total += amount;
                emit LaneReserved(msg.sender, payee, amount, grown);
            }
        }
        // Checked once, after the loop that sums the entries: a revert here undoes every lane written above.
        uint256 available = balanceOf(msg.sender);
        if (total > available) revert InsufficientBalance(msg.sender, available, total);
        _setBalance(msg.sender, available - total);
    }

    /// @inheritdoc IBandwidthEscrowCore
    function requestRelease(address payee, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 lane = _pairs[msg.sender][payee].lane;
        if (amount > lane) revert InsufficientLane(msg.sender, payee, lane, amount);
        uint64 unlockAt = uint64(block.timestamp) + withdrawalDelay;
        // amount <= lane < 2^128, so the cast cannot truncate.
        _releases[msg.sender][payee] = Withdrawal(uint192(amount), unlockAt);
        emit LaneReleaseRequested(msg.sender, payee, amount, unlockAt);
    }

    /// @inheritdoc IBandwidthEscrowCore
    function cancelRelease(address payee) external {
        if (_releases[msg.sender][payee].unlockAt == 0) revert NoReleasePending(msg.sender, payee);
        delete _releases[msg.sender][payee];
        emit LaneReleaseCancelled(msg.sender, payee);
    }

    /// @inheritdoc IBandwidthEscrowCore
    function release(address payee) external {
        Withdrawal memory request = _releases[msg.sender][payee];
        if (request.unlockAt == 0) revert NoReleasePending(msg.sender, payee);
        if (block.timestamp < request.unlockAt) {
            revert ReleaseLocked(msg.sender, payee, request.unlockAt, block.timestamp);
        }
        if (block.timestamp - request.unlockAt >= withdrawalDelay) {
            revert ReleaseExpired(msg.sender, payee, request.unlockAt + withdrawalDelay, block.timestamp);
        }
        delete _releases[msg.sender][payee];
        // The payee may have settled against the lane during the delay: release what is left of the request.
        Pair storage pair = _pairs[msg.sender][payee];
        uint128 lane = pair.lane;
        uint128 amount = request.amount < lane ? uint128(request.amount) : lane;
        if (amount > 0) {
            unchecked {
                pair.lane = lane - amount;
            }
            _setBalance(msg.sender, balanceOf(msg.sender) + amount);
        }
        emit LaneReleased(msg.sender, payee, amount);
    }

    // ---------------------------------------------------------------- payee or relayer

    /// @inheritdoc IBandwidthEscrowCore
    function settle(Receipt calldata receipt, bytes calldata signature) external returns (uint256 paid) {
        address payer = receipt.payer;
        address payee = receipt.payee;
        if (payer == address(0) || payee == address(0)) revert ZeroAddress();
        if (payer == payee) revert SelfPayment(payer);
        uint256 cumulativeAmount = receipt.cumulativeAmount;
        if (cumulativeAmount > type(uint128).max) revert AmountTooLarge(cumulativeAmount);

        bytes32 digest = _receiptDigest(_domainSeparatorV4(), payer, payee, receipt.cumulativeBytes, cumulativeAmount);
        address recovered = _recoverStrict(digest, signature);
        // A bad signature recovers to zero, which must not match an unset signer.
        if (recovered == address(0)) revert InvalidSigner(payer, recovered);
        Pair storage pair = _pairs[payer][payee];
        (uint128 before, uint128 lane) = (pair.paidOut, pair.lane);
        Account storage account = _accounts[payer];
        // Compared with the payer first, so a self-signed receipt its lane covers never loads the account slot.
        if (recovered != payer && recovered != account.signer && !_isPreviousSigner(payer, recovered)) {
            revert InvalidSigner(payer, recovered);
        }
        if (cumulativeAmount <= before) revert NothingToSettle(payer, payee, cumulativeAmount, before);

        uint256 owed;
        // unchecked: cumulativeAmount > before; paid <= owed keeps paidOut <= cumulativeAmount < 2^128.
        unchecked {
            owed = cumulativeAmount - before;
            if (owed <= lane) {
                // Covered by the lane: the free balance is not touched. Both fields written: one SSTORE.
                paid = owed;
                pair.paidOut = before + uint128(owed);
                pair.lane = lane - uint128(owed);
            } else {
                (uint96 low, address signer) = (account.balance, account.signer);
                paid = lane + _debit(payer, account, low, signer, owed - lane);
                if (paid > 0) {
                    pair.paidOut = before + uint128(paid);
                    pair.lane = 0;
                }
            }
        }
        if (paid > 0) emit Settled(payer, payee, paid, receipt.cumulativeBytes, cumulativeAmount);
        if (paid < owed) emit Bounced(payer, payee, owed - paid);
        if (paid > 0) _pay(payee, paid);
    }

    /// @inheritdoc IBandwidthEscrowCore
    function settleBatch(address payee, bytes calldata entries) external returns (uint256 totalPaid, uint256 skipped) {
        if (payee == address(0)) revert ZeroAddress();
        uint256 length = entries.length;
        if (length == 0) revert EmptyBatch();
        if (length % BATCH_ENTRY_SIZE != 0) revert MalformedBatch(length);
        uint256 count = length / BATCH_ENTRY_SIZE;
        if (count > MAX_BATCH_SIZE) revert BatchTooLarge(count, MAX_BATCH_SIZE);

        bytes memory records = BatchEntryCodec.newRecords(count);
        bytes32 domain = _domainSeparatorV4();
        uint256 recorded;
        // unchecked: i and recorded are bounded by MAX_BATCH_SIZE; totalPaid by the token's supply.
        unchecked {
            for (uint256 i; i < count; ++i) {
                (address payer, uint64 cumulativeBytes, uint128 cumulativeAmount, bytes32 r, bytes32 vs) =
                    BatchEntryCodec.decode(entries, i);
                uint256 paid = _settleEntry(domain, payer, payee, cumulativeBytes, cumulativeAmount, r, vs);
                if (paid == 0) {
                    ++skipped;
                    continue;
                }
                totalPaid += paid;
                BatchEntryCodec.writeRecord(records, recorded++, payer, cumulativeBytes, cumulativeAmount, uint128(paid));
            }
        }
        // Skipped entries leave no record.
        BatchEntryCodec.truncate(records, recorded);
        emit BatchSettled(payee, totalPaid, skipped, records);
        if (totalPaid > 0) _pay(payee, totalPaid);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Sends `amount` (never zero) that has already left the escrow's books to `to`: the asset's only exit.
    /// Called last, after every state change and event of the call.
    function _pay(address to, uint256 amount) internal virtual;

    /// @dev Adds `received`, which has arrived in the escrow, to `payer`'s free balance.
    function _credit(address payer, uint256 received) internal {
        _setBalance(payer, balanceOf(payer) + received);
        emit Deposited(payer, msg.sender, received);
    }

    /// @dev Pays what one batch entry is worth, or zero when it is stale, wrongly signed, self-paying or unfunded
    /// (an unfunded but valid entry also emits `Bounced`, so the claim is visible to the audit).
    function _settleEntry(
        bytes32 domain,
        address payer,
        address payee,
        uint64 cumulativeBytes,
        uint128 cumulativeAmount,
        bytes32 r,
        bytes32 vs
    ) private returns (uint256 paid) {
        // A zero payer needs no check: no signature recovers to the zero address.
        if (payer == payee) return 0;
        Pair storage pair = _pairs[payer][payee];
        (uint128 before, uint128 lane) = (pair.paidOut, pair.lane);
        if (cumulativeAmount <= before) return 0;

        bytes32 digest = _receiptDigest(domain, payer, payee, cumulativeBytes, cumulativeAmount);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, r, vs);
        if (err != ECDSA.RecoverError.NoError) return 0;

        // unchecked: cumulativeAmount > before, and paid <= owed, so nothing here can wrap.
        unchecked {
            uint256 owed = cumulativeAmount - before;
            // `recovered` is never zero here (tryRecover reports that as an error), so it cannot match an unset
            // signer; it is compared with the payer first, so a self-signed receipt needs no account slot for it.
            if (owed <= lane) {
                // Covered by the lane: the account slot is read only for a delegated signer, and never written.
                if (recovered != payer && recovered != _accounts[payer].signer && !_isPreviousSigner(payer, recovered)) {
                    return 0;
                }
                pair.paidOut = before + uint128(owed);
                pair.lane = lane - uint128(owed);
                return owed;
            }
            Account storage account = _accounts[payer];
            (uint96 low, address signer) = (account.balance, account.signer);
            if (recovered != payer && recovered != signer && !_isPreviousSigner(payer, recovered)) return 0;
            paid = lane + _debit(payer, account, low, signer, owed - lane);
            // A valid receipt the payer cannot cover is still a claim: say so, even when nothing was paid.
            if (paid < owed) emit Bounced(payer, payee, owed - paid);
            if (paid == 0) return 0;
            pair.paidOut = before + uint128(paid);
            pair.lane = 0;
        }
    }

    /// @dev `domain` is `_domainSeparatorV4()`, passed in so a batch checks the cached separator once, not per entry.
    function _receiptDigest(
        bytes32 domain,
        address payer,
        address payee,
        uint256 cumulativeBytes,
        uint256 cumulativeAmount
    ) private pure returns (bytes32) {
        return ReceiptHash.digest(domain, RECEIPT_TYPEHASH, payer, payee, cumulativeBytes, cumulativeAmount);
    }

    /// @dev Accepts 65-byte `r‖s‖v` and 64-byte EIP-2098 `r‖vs`; reverts with a specific error otherwise.
    function _recoverStrict(bytes32 digest, bytes calldata signature) private pure returns (address) {
        ECDSA.RecoverError err;
        address recovered;
        bytes32 errArg;
        if (signature.length == 65) {
            (recovered, err, errArg) = ECDSA.tryRecover(
                digest, uint8(signature[64]), bytes32(signature[0:32]), bytes32(signature[32:64])
            );
        } else if (signature.length == 64) {
            (recovered, err, errArg) = ECDSA.tryRecover(digest, bytes32(signature[0:32]), bytes32(signature[32:64]));
        } else {
            revert InvalidSignatureLength(signature.length);
        }
        if (err == ECDSA.RecoverError.InvalidSignatureS) revert SignatureMalleable(errArg);
        // A bad `v` recovers nothing; report it as a signer mismatch with the zero address.
        return err == ECDSA.RecoverError.NoError ? recovered : address(0);
    }

    /// @dev Whether `recovered` (never zero: the callers rule that out) is the payer's replaced signer and still
    /// within its grace period. Asked only after the payer and its current signer did not match.
    function _isPreviousSigner(address payer, address recovered) private view returns (bool) {
        PreviousSigner memory prev = _previousSigners[payer];
        return recovered == prev.signer && block.timestamp < prev.validUntil;
    }

    /// @dev Takes up to `amount` from the payer's balance and returns what it took. `low` and `signer` are the
    /// account's slot as already read, so the common case writes the slot once and never reads the overflow.
    function _debit(address payer, Account storage account, uint96 low, address signer, uint256 amount)
        private
        returns (uint256 taken)
    {
        if (amount <= low) {
            // Both fields written: one SSTORE of the whole slot, no read-modify-write.
            unchecked {
                account.balance = low - uint96(amount);
            }
            account.signer = signer;
            return amount;
        }
        uint256 full = low + _balanceOverflow[payer];
        taken = amount < full ? amount : full;
        if (taken > 0) _setBalance(payer, full - taken);
    }

    function _setBalance(address payer, uint256 full) private {
        uint256 low = full > type(uint96).max ? type(uint96).max : full;
        _accounts[payer].balance = uint96(low);
        uint256 overflow = full - low;
        if (_balanceOverflow[payer] != overflow) _balanceOverflow[payer] = overflow;
    }
}
