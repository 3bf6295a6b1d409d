// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IBandwidthEscrowCore} from "./IBandwidthEscrowCore.sol";

/// @title seedpay bandwidth escrow of the chain's native coin
/// @notice The escrow of native BTT on BitTorrent Chain (or any EVM chain's coin): deposits come as `msg.value`,
/// `token()` is the zero address. A payout (settlement or withdrawal) is forwarded with the 2,300-gas stipend
/// only; when the recipient refuses it (reverts, burns the stipend, is a contract that needs more gas), it is
/// kept as the recipient's `unclaimedOf` and taken later with `claim`. So no payee can make a settlement, or a
/// batch settling other payers, fail or cost more than the stipend.
interface INativeBandwidthEscrow is IBandwidthEscrowCore {
    /// @notice The caller has nothing unclaimed.
    error NothingToClaim(address account);
    /// @notice Sending a claim to `to` failed; the amount stays unclaimed.
    error ClaimFailed(address to, uint256 amount);
    /// @notice The coin was sent without a deposit call (the escrow accepts the native coin only as a deposit).
    error UseDeposit();

    /// @notice `to` refused a payout of `amount`; it was added to `unclaimedOf(to)`.
    event PayoutDeferred(address indexed to, uint256 amount);
    /// @notice `account` claimed `amount` of its unclaimed payouts, sent to `to`.
    event Claimed(address indexed account, address indexed to, uint256 amount);

    /// @notice The gas a payout forwards: the call's value stipend and nothing more.
    function PAYOUT_GAS() external view returns (uint256);

    /// @notice Payouts `account` refused and has not claimed yet.
    function unclaimedOf(address account) external view returns (uint256);

    /// @notice Adds `msg.value` to the caller's free balance.
    function deposit() external payable;

    /// @notice Adds `msg.value` to `payer`'s free balance.
    function depositFor(address payer) external payable;

    /// @notice Sends all of the caller's unclaimed payouts to `to`, with all the gas the call has left.
    /// @dev Reverts with `NothingToClaim`, `ZeroAddress` or `ClaimFailed` (then nothing changes).
    /// @return amount What was sent.
    function claim(address payable to) external returns (uint256 amount);
}
