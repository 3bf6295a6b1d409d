// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

import {ReceiptHash} from "../libraries/ReceiptHash.sol";

/// @title ReceiptHashHarness
/// @notice Exposes both digests so a differential test can compare the assembly one with the plain one.
contract ReceiptHashHarness {
    /// @notice The assembly digest, computed twice with an allocation in between, so a digest that wrote
    /// outside scratch memory (or read stale bytes) would show up as a mismatch.
    function digest(
        bytes32 domain,
        bytes32 typeHash,
        address payer,
        address payee,
        uint256 cumulativeBytes,
        uint256 cumulativeAmount
    ) external pure returns (bytes32 first, bytes32 second, bytes memory kept) {
        kept = abi.encodePacked(domain, typeHash);
        first = ReceiptHash.digest(domain, typeHash, payer, payee, cumulativeBytes, cumulativeAmount);
        second = ReceiptHash.digest(domain, typeHash, payer, payee, cumulativeBytes, cumulativeAmount);
    }

    /// @notice The plain-Solidity twin of `ReceiptHash.digest`.
    function digestReference(
        bytes32 domain,
        bytes32 typeHash,
        address payer,
        address payee,
        uint256 cumulativeBytes,
        uint256 cumulativeAmount
    ) external pure returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(typeHash, payer, payee, cumulativeBytes, cumulativeAmount));
        return keccak256(abi.encodePacked(hex"1901", domain, structHash));
    }
}
