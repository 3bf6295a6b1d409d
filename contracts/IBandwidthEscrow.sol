// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {IBandwidthEscrowCore} from "./IBandwidthEscrowCore.sol";

/// @title seedpay bandwidth escrow of a TRC-20 token
/// @notice The escrow of a token (BTT on TRON, TestBTT on Nile and locally): deposits are pulled with
/// `transferFrom` after an approval, payouts are token transfers.
interface IBandwidthEscrow is IBandwidthEscrowCore {
    /// @notice A deposit's transfer left the escrow's token balance unchanged (e.g. a token taking a 100% fee).
    error NothingReceived(uint256 requested);

    /// @notice Moves `amount` tokens from the caller into its own balance (approve first).
    /// @dev Credits the tokens actually received, so fee-on-transfer tokens cannot inflate balances.
    function deposit(uint256 amount) external;

    /// @notice Moves `amount` tokens from the caller into `payer`'s balance (approve first).
    function depositFor(address payer, uint256 amount) external;
}
