// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {BatchEntry, BatchEntryCodec} from "../libraries/BatchEntry.sol";

/// @title BatchEntryCodecHarness
/// @notice Exposes both decoders so a differential test can compare the assembly one with the plain one.
contract BatchEntryCodecHarness {
    /// @notice The assembly decoder.
    function decode(bytes calldata entries, uint256 i) external pure returns (BatchEntry memory e) {
        (e.payer, e.cumulativeBytes, e.cumulativeAmount, e.r, e.vs) = BatchEntryCodec.decode(entries, i);
    }

    /// @notice The plain-Solidity decoder.
    function decodeReference(bytes calldata entries, uint256 i) external pure returns (BatchEntry memory) {
        return BatchEntryCodec.decodeReference(entries, i);
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
