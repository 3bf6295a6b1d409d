// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestBTT
/// @notice Stand-in for BTT (18 decimals) on Nile and local chains, where no official BTT exists.
/// @dev IMPORTANT: `mint` is an open faucet. Never deploy this on mainnet.
contract TestBTT is ERC20 {
    constructor() ERC20("TestBTT", "tBTT") {}

    /// @notice Faucet: mints `amount` to `to`, for anyone.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
