// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title reserve's packed entries
/// @notice Layout of one entry, 36 bytes, no padding: `payee (20) ‖ amount (uint128, 16)`.
/// @dev Plain Solidity, not assembly like `BatchEntryCodec`: `reserve` writes a storage slot per entry
/// (~22k gas for a new lane), so the slicing's bounds checks (~100 gas) are not worth hand-written code.
library ReserveEntryCodec {
    uint256 internal constant SIZE = 36;

    /// @dev The caller guarantees `entries.length >= (i + 1) * SIZE`.
    function decode(bytes calldata entries, uint256 i) internal pure returns (address payee, uint128 amount) {
        uint256 o = i * SIZE;
        payee = address(bytes20(entries[o:o + 20]));
        amount = uint128(bytes16(entries[o + 20:o + 36]));
    }
}
