// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @notice One receipt inside `settleBatch`'s packed calldata.
struct BatchEntry {
    address payer;
    uint64 cumulativeBytes;
    uint128 cumulativeAmount;
    bytes32 r;
    bytes32 vs;
}

/// @title Decoding of settleBatch's packed entries
/// @notice Layout of one entry, 108 bytes, no padding:
/// `payer (20) ‖ cumulativeBytes (uint64, 8) ‖ cumulativeAmount (uint128, 16) ‖ r (32) ‖ vs (32)`.
/// @dev Packing saves ~1,100 gas of calldata per entry against ABI-encoded structs with 65-byte signatures.
/// `decode` is the only assembly in the escrow; `decodeReference` is the same in plain Solidity, and a
/// differential test (test/contracts/escrow.batch-entry.test.ts) checks both agree on random input.
library BatchEntryCodec {
    uint256 internal constant SIZE = 108;

    /// @dev The caller guarantees `entries.length >= (i + 1) * SIZE`. Returns stack values, not a memory
    /// struct, because this runs once per receipt in the hottest loop of the escrow.
    function decode(bytes calldata entries, uint256 i)
        internal
        pure
        returns (address payer, uint64 cumulativeBytes, uint128 cumulativeAmount, bytes32 r, bytes32 vs)
    {
        assembly ("memory-safe") {
            let p := add(entries.offset, mul(i, SIZE))
            let head := calldataload(p)
            // head: payer (160 bits) | cumulativeBytes (64) | top 32 bits of cumulativeAmount
            payer := shr(96, head)
            cumulativeBytes := and(shr(32, head), 0xffffffffffffffff)
            cumulativeAmount := shr(128, calldataload(add(p, 28)))
            r := calldataload(add(p, 44))
            vs := calldataload(add(p, 76))
        }
    }

    /// @dev Shrinks a memory array to its first `length` elements (the tail is left unused, never read).
    function truncate(uint256[] memory array, uint256 length) internal pure {
        assembly ("memory-safe") {
            mstore(array, length)
        }
    }

    /// @dev Plain-Solidity twin of `decode`, kept for the differential test.
    function decodeReference(bytes calldata entries, uint256 i) internal pure returns (BatchEntry memory e) {
        uint256 o = i * SIZE;
        e.payer = address(bytes20(entries[o:o + 20]));
        e.cumulativeBytes = uint64(bytes8(entries[o + 20:o + 28]));
        e.cumulativeAmount = uint128(bytes16(entries[o + 28:o + 44]));
        e.r = bytes32(entries[o + 44:o + 76]);
        e.vs = bytes32(entries[o + 76:o + 108]);
    }
}
