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
}
