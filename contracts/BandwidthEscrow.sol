// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IBandwidthEscrow} from "./IBandwidthEscrow.sol";
import {IBandwidthEscrowCore} from "./IBandwidthEscrowCore.sol";
import {BandwidthEscrowCore} from "./BandwidthEscrowCore.sol";

/// @title BandwidthEscrow
/// @notice seedpay's escrow of a TRC-20 token (BTT on TRON): payers deposit it, payees cash the payers'
/// cumulative bandwidth receipts. Settlement, lanes and withdrawals are `BandwidthEscrowCore`'s.
contract BandwidthEscrow is IBandwidthEscrow, BandwidthEscrowCore {
    using SafeERC20 for IERC20;

    IERC20 private immutable _token;

    /// @param token_ The TRC-20 token held (BTT on mainnet; TestBTT on Nile and locally).
    /// @param withdrawalDelay_ Seconds between a withdrawal request and its execution.
    constructor(IERC20 token_, uint64 withdrawalDelay_) BandwidthEscrowCore(withdrawalDelay_) {
        if (address(token_) == address(0)) revert ZeroAddress();
        _token = token_;
    }

    /// @inheritdoc IBandwidthEscrowCore
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IBandwidthEscrow
    function deposit(uint256 amount) external nonReentrant {
        _deposit(msg.sender, amount);
    }

    /// @inheritdoc IBandwidthEscrow
    function depositFor(address payer, uint256 amount) external nonReentrant {
        _deposit(payer, amount);
    }

    function _deposit(address payer, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        if (payer == address(0)) revert ZeroAddress();
        // Credit what actually arrived, so a fee-on-transfer token cannot create unbacked balance.
        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - before;
        if (received == 0) revert NothingReceived(amount);
        _credit(payer, received);
    }

    /// @dev A token payout cannot be refused by a payee, so it is sent at once (a reverting token reverts the call).
    function _pay(address to, uint256 amount) internal override {
        _token.safeTransfer(to, amount);
    }
}
