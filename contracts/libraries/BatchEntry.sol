// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title settleBatch's packed entries and BatchSettled's packed records
/// @notice Layout of one entry, 108 bytes, no padding:
/// `payer (20) ‖ cumulativeBytes (uint64, 8) ‖ cumulativeAmount (uint128, 16) ‖ r (32) ‖ vs (32)`.
/// @dev Packing saves ~1,100 gas of calldata per entry against ABI-encoded structs with 65-byte signatures,
/// and packed records save ~500 gas per entry against a uint256[] in the event (docs/benchmarks.md).
/// This library and `ReceiptHash` are the only assembly in the escrow; differential tests
/// (test/contracts/escrow.batch-entry.test.ts) check `decode` against a plain-Solidity twin in
/// contracts/test/BatchEntryCodecHarness.sol and the records against `abi.encodePacked`.
library BatchEntryCodec {
    uint256 internal constant SIZE = 108;
    uint256 internal constant RECORD_SIZE = 60;

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

    /// @dev Writes record `n` into `records`, allocated with `newRecords`:
    /// `payer (20) ‖ cumulativeBytes (8) ‖ cumulativeAmount (16) ‖ paid (16)`. The second word spills 4 zero
    /// bytes past the record; the next record overwrites them, and `newRecords` pads for the last one.
    function writeRecord(
        bytes memory records,
        uint256 n,
        address payer,
        uint64 cumulativeBytes,
        uint128 cumulativeAmount,
        uint128 paid
    ) internal pure {
        assembly ("memory-safe") {
            let p := add(add(records, 0x20), mul(n, RECORD_SIZE))
            mstore(p, or(shl(96, payer), or(shl(32, cumulativeBytes), shr(96, cumulativeAmount))))
            mstore(add(p, 32), or(shl(160, cumulativeAmount), shl(32, paid)))
        }
    }

    /// @dev Room for `count` records plus the 4-byte spill of the last `writeRecord`.
    function newRecords(uint256 count) internal pure returns (bytes memory) {
        return new bytes(count * RECORD_SIZE + 4);
    }

    /// @dev Shrinks `records` to its first `n` records (the tail is left unused, never read).
    function truncate(bytes memory records, uint256 n) internal pure {
        assembly ("memory-safe") {
            mstore(records, mul(n, RECORD_SIZE))
        }
    }
}
