// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IBandwidthEscrow} from "./IBandwidthEscrow.sol";
import {BatchEntryCodec} from "./libraries/BatchEntry.sol";

/// @title BandwidthEscrow
/// @notice seedpay's escrow: payers deposit BTT, payees cash the payers' cumulative bandwidth receipts.
/// No owner, no pause, no upgrade: nothing moves money except what `IBandwidthEscrow` documents.
contract BandwidthEscrow is IBandwidthEscrow, EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @inheritdoc IBandwidthEscrow
    bytes32 public constant RECEIPT_TYPEHASH =
        keccak256("Receipt(address payer,address payee,uint256 cumulativeBytes,uint256 cumulativeAmount)");

    /// @inheritdoc IBandwidthEscrow
    uint256 public constant BATCH_ENTRY_SIZE = BatchEntryCodec.SIZE;
    /// @inheritdoc IBandwidthEscrow
    uint256 public constant MAX_BATCH_SIZE = 256;

    /// @dev The balance's low 96 bits share a slot with the signer, so settling a receipt reads one slot for both.
    /// Balances above 2^96 - 1 spill into `_balanceOverflow` (full balance = low + overflow), read only when
    /// the low part does not cover a debit.
    struct Account {
        uint96 balance;
        address signer;
    }

    /// @dev A struct, not a bare uint256, so the hot path can hold a storage pointer and hash the key once.
    struct Pair {
        uint256 paidOut;
    }

    struct PreviousSigner {
        address signer;
        uint64 validUntil;
    }

    IERC20 private immutable _token;
    /// @inheritdoc IBandwidthEscrow
    uint64 public immutable withdrawalDelay;

    mapping(address payer => Account) private _accounts;
    mapping(address payer => uint256) private _balanceOverflow;
    mapping(address payer => PreviousSigner) private _previousSigners;
    mapping(address payer => Withdrawal) private _withdrawals;
    mapping(address payer => mapping(address payee => Pair)) private _pairs;

    /// @param token_ The TRC-20 token held (BTT on mainnet; TestBTT on Nile and locally).
    /// @param withdrawalDelay_ Seconds between a withdrawal request and its execution.
    constructor(IERC20 token_, uint64 withdrawalDelay_) EIP712("seedpay", "1") {
        if (address(token_) == address(0)) revert ZeroAddress();
        if (withdrawalDelay_ == 0) revert ZeroAmount();
        _token = token_;
        withdrawalDelay = withdrawalDelay_;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IBandwidthEscrow
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IBandwidthEscrow
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IBandwidthEscrow
    function balanceOf(address payer) public view returns (uint256) {
        return _accounts[payer].balance + _balanceOverflow[payer];
    }

    /// @inheritdoc IBandwidthEscrow
    function paidOut(address payer, address payee) external view returns (uint256) {
        return _pairs[payer][payee].paidOut;
    }

    /// @inheritdoc IBandwidthEscrow
    function withdrawalOf(address payer) external view returns (Withdrawal memory) {
        return _withdrawals[payer];
    }

    /// @inheritdoc IBandwidthEscrow
    function signerOf(address payer)
        external
        view
        returns (address signer, address previous, uint64 previousValidUntil)
    {
        PreviousSigner memory prev = _previousSigners[payer];
        return (_accounts[payer].signer, prev.signer, prev.validUntil);
    }

    /// @inheritdoc IBandwidthEscrow
    function hashReceipt(Receipt calldata receipt) external view returns (bytes32) {
        return _receiptDigest(receipt.payer, receipt.payee, receipt.cumulativeBytes, receipt.cumulativeAmount);
    }

    // ---------------------------------------------------------------- payer

    /// @inheritdoc IBandwidthEscrow
    function deposit(uint256 amount) external nonReentrant {
        _deposit(msg.sender, amount);
    }

    /// @inheritdoc IBandwidthEscrow
    function depositFor(address payer, uint256 amount) external nonReentrant {
        _deposit(payer, amount);
    }

    /// @inheritdoc IBandwidthEscrow
    function requestWithdrawal(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 available = balanceOf(msg.sender);
        if (amount > available) revert InsufficientBalance(msg.sender, available, amount);
        uint64 unlockAt = uint64(block.timestamp) + withdrawalDelay;
        _withdrawals[msg.sender] = Withdrawal(SafeCast.toUint192(amount), unlockAt);
        emit WithdrawalRequested(msg.sender, amount, unlockAt);
    }

    /// @inheritdoc IBandwidthEscrow
    function cancelWithdrawal() external {
        if (_withdrawals[msg.sender].unlockAt == 0) revert NoWithdrawalPending(msg.sender);
        delete _withdrawals[msg.sender];
        emit WithdrawalCancelled(msg.sender);
    }

    /// @inheritdoc IBandwidthEscrow
    function withdraw() external {
        Withdrawal memory request = _withdrawals[msg.sender];
        if (request.unlockAt == 0) revert NoWithdrawalPending(msg.sender);
        if (block.timestamp < request.unlockAt) {
            revert WithdrawalLocked(msg.sender, request.unlockAt, block.timestamp);
        }
        delete _withdrawals[msg.sender];
        // Payees may have settled during the delay: the payer gets what is left of its request.
        Account storage account = _accounts[msg.sender];
        uint256 amount = _debit(msg.sender, account, account.balance, account.signer, request.amount);
        emit Withdrawn(msg.sender, amount);
        if (amount > 0) _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IBandwidthEscrow
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

    // ---------------------------------------------------------------- payee or relayer

    /// @inheritdoc IBandwidthEscrow
    function settle(Receipt calldata receipt, bytes calldata signature) external returns (uint256 paid) {
        address payer = receipt.payer;
        address payee = receipt.payee;
        if (payer == address(0) || payee == address(0)) revert ZeroAddress();
        if (payer == payee) revert SelfPayment(payer);

        bytes32 digest = _receiptDigest(payer, payee, receipt.cumulativeBytes, receipt.cumulativeAmount);
        address recovered = _recoverStrict(digest, signature);
        Account storage account = _accounts[payer];
        (uint96 low, address signer) = (account.balance, account.signer);
        if (!_isAuthorised(payer, signer, recovered)) revert InvalidSigner(payer, recovered);

        Pair storage pair = _pairs[payer][payee];
        uint256 before = pair.paidOut;
        if (receipt.cumulativeAmount <= before) {
            revert NothingToSettle(payer, payee, receipt.cumulativeAmount, before);
        }
        uint256 owed = receipt.cumulativeAmount - before;
        paid = _debit(payer, account, low, signer, owed);

        if (paid > 0) {
            pair.paidOut = before + paid;
            emit Settled(payer, payee, paid, receipt.cumulativeBytes, receipt.cumulativeAmount);
        }
        if (paid < owed) emit Bounced(payer, payee, owed - paid);
        if (paid > 0) _token.safeTransfer(payee, paid);
    }

    /// @inheritdoc IBandwidthEscrow
    function settleBatch(address payee, bytes calldata entries) external returns (uint256 totalPaid, uint256 skipped) {
        if (payee == address(0)) revert ZeroAddress();
        uint256 length = entries.length;
        if (length == 0) revert EmptyBatch();
        if (length % BATCH_ENTRY_SIZE != 0) revert MalformedBatch(length);
        uint256 count = length / BATCH_ENTRY_SIZE;
        if (count > MAX_BATCH_SIZE) revert BatchTooLarge(count, MAX_BATCH_SIZE);

        bytes memory records = BatchEntryCodec.newRecords(count);
        uint256 recorded;
        // unchecked: i and recorded are bounded by MAX_BATCH_SIZE; totalPaid by the token's supply.
        unchecked {
            for (uint256 i; i < count; ++i) {
                (address payer, uint64 cumulativeBytes, uint128 cumulativeAmount, bytes32 r, bytes32 vs) =
                    BatchEntryCodec.decode(entries, i);
                uint256 paid = _settleEntry(payer, payee, cumulativeBytes, cumulativeAmount, r, vs);
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
        if (totalPaid > 0) _token.safeTransfer(payee, totalPaid);
    }

    // ---------------------------------------------------------------- internals

    function _deposit(address payer, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        if (payer == address(0)) revert ZeroAddress();
        // Credit what actually arrived, so a fee-on-transfer token cannot create unbacked balance.
        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - before;
        if (received == 0) revert NothingReceived(amount);
        _setBalance(payer, balanceOf(payer) + received);
        emit Deposited(payer, msg.sender, received);
    }

    /// @dev Pays what one batch entry is worth, or zero when it is stale, wrongly signed, self-paying or unfunded
    /// (an unfunded but valid entry also emits `Bounced`, so the claim is visible to the audit).
    function _settleEntry(
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
        uint256 before = pair.paidOut;
        if (cumulativeAmount <= before) return 0;

        bytes32 digest = _receiptDigest(payer, payee, cumulativeBytes, cumulativeAmount);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, r, vs);
        if (err != ECDSA.RecoverError.NoError) return 0;
        Account storage account = _accounts[payer];
        (uint96 low, address signer) = (account.balance, account.signer);
        if (!_isAuthorised(payer, signer, recovered)) return 0;

        // unchecked: cumulativeAmount > before, and paid <= owed, so nothing here can wrap.
        unchecked {
            uint256 owed = cumulativeAmount - before;
            paid = _debit(payer, account, low, signer, owed);
            // A valid receipt the payer cannot cover is still a claim: say so, even when nothing was paid.
            if (paid < owed) emit Bounced(payer, payee, owed - paid);
            if (paid == 0) return 0;
            pair.paidOut = before + paid;
        }
    }

    function _receiptDigest(address payer, address payee, uint256 cumulativeBytes, uint256 cumulativeAmount)
        private
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(RECEIPT_TYPEHASH, payer, payee, cumulativeBytes, cumulativeAmount)));
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

    function _isAuthorised(address payer, address signer, address recovered) private view returns (bool) {
        if (recovered == address(0)) return false;
        if (recovered == payer || recovered == signer) return true;
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
