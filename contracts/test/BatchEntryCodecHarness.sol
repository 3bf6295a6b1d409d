// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {BatchEntryCodec} from "../libraries/BatchEntry.sol";

/// @notice One receipt inside `settleBatch`'s packed calldata, as the harness returns it.
struct BatchEntry {
    address payer;
    uint64 cumulativeBytes;
    uint128 cumulativeAmount;
    bytes32 r;
    bytes32 vs;
}

/// @title BatchEntryCodecHarness
/// @notice Exposes both decoders so a differential test can compare the assembly one with the plain one.
contract BatchEntryCodecHarness {
    /// @notice The assembly decoder.
    function decode(bytes calldata entries, uint256 i) external pure returns (BatchEntry memory e) {
        (e.payer, e.cumulativeBytes, e.cumulativeAmount, e.r, e.vs) = BatchEntryCodec.decode(entries, i);
    }

    /// @notice The plain-Solidity twin of `decode`: the layout written with slices, no assembly.
    function decodeReference(bytes calldata entries, uint256 i) external pure returns (BatchEntry memory e) {
        uint256 o = i * BatchEntryCodec.SIZE;
        e.payer = address(bytes20(entries[o:o + 20]));
        e.cumulativeBytes = uint64(bytes8(entries[o + 20:o + 28]));
        e.cumulativeAmount = uint128(bytes16(entries[o + 28:o + 44]));
        e.r = bytes32(entries[o + 44:o + 76]);
        e.vs = bytes32(entries[o + 76:o + 108]);
    }

    /// @notice Records written by `writeRecord`, for comparison with `abi.encodePacked`.
    function records(address[] calldata payers, uint64[] calldata bytes_, uint128[] calldata amounts, uint128[] calldata paid)
        external
        pure
        returns (bytes memory out)
    {
        out = BatchEntryCodec.newRecords(payers.length);
        for (uint256 i; i < payers.length; ++i) {
            BatchEntryCodec.writeRecord(out, i, payers[i], bytes_[i], amounts[i], paid[i]);
        }
        BatchEntryCodec.truncate(out, payers.length);
    }

    /// @notice The same records built with `abi.encodePacked`.
    function recordsReference(
        address[] calldata payers,
        uint64[] calldata bytes_,
        uint128[] calldata amounts,
        uint128[] calldata paid
    ) external pure returns (bytes memory out) {
        for (uint256 i; i < payers.length; ++i) {
            out = abi.encodePacked(out, payers[i], bytes_[i], amounts[i], paid[i]);
        }
    }
}
