// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IBandwidthEscrowCore} from "./IBandwidthEscrowCore.sol";
import {INativeBandwidthEscrow} from "./INativeBandwidthEscrow.sol";
import {BandwidthEscrowCore} from "./BandwidthEscrowCore.sol";

/// @title NativeBandwidthEscrow
/// @notice seedpay's escrow of the chain's native coin (BTT on BitTorrent Chain): the same receipts, lanes,
/// withdrawals and events as the TRC-20 `BandwidthEscrow`, from the same `BandwidthEscrowCore`; deposits by
/// `msg.value`, payouts by a stipend-bounded forward that falls back to a pull (`claim`).
contract NativeBandwidthEscrow is INativeBandwidthEscrow, BandwidthEscrowCore {
    /// @inheritdoc INativeBandwidthEscrow
    /// @dev Zero: a CALL that carries value gives the callee the 2,300-gas stipend on top of what is passed.
    uint256 public constant PAYOUT_GAS = 0;

    mapping(address account => uint256) private _unclaimed;

    /// @param withdrawalDelay_ Seconds between a withdrawal request and its execution.
    constructor(uint64 withdrawalDelay_) BandwidthEscrowCore(withdrawalDelay_) {}

    /// @dev Plain transfers are refused: money the books do not know of could never be paid out.
    receive() external payable {
        revert UseDeposit();
    }

    /// @inheritdoc IBandwidthEscrowCore
    function token() external pure returns (address) {
        return address(0);
    }

    /// @inheritdoc INativeBandwidthEscrow
    function unclaimedOf(address account) external view returns (uint256) {
        return _unclaimed[account];
    }

    /// @inheritdoc INativeBandwidthEscrow
    function deposit() external payable {
        if (msg.value == 0) revert ZeroAmount();
        _credit(msg.sender, msg.value);
    }

    /// @inheritdoc INativeBandwidthEscrow
    function depositFor(address payer) external payable {
        if (msg.value == 0) revert ZeroAmount();
        if (payer == address(0)) revert ZeroAddress();
        _credit(payer, msg.value);
    }

    /// @inheritdoc INativeBandwidthEscrow
    function claim(address payable to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        amount = _unclaimed[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        delete _unclaimed[msg.sender];
        emit Claimed(msg.sender, to, amount);
        // The claimant chose `to`, so it gets all the gas; a failure reverts the whole claim, books included.
        if (!_send(to, amount, gasleft())) revert ClaimFailed(to, amount);
    }

    /// @dev The stipend bounds what a recipient can burn, and nothing it does can revert the settlement: a refused
    /// payout stays the recipient's, to claim. Under the stipend a recipient cannot write storage, so it cannot
    /// re-enter to any effect.
    function _pay(address to, uint256 amount) internal override {
        if (_send(to, amount, PAYOUT_GAS)) return;
        _unclaimed[to] += amount;
        emit PayoutDeferred(to, amount);
    }

    /// @dev A value call that copies no return data, so a recipient cannot make us pay for a large one.
    function _send(address to, uint256 amount, uint256 gasLimit) private returns (bool ok) {
        assembly ("memory-safe") {
            ok := call(gasLimit, to, amount, 0, 0, 0, 0)
        }
    }
}
