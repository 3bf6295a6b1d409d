// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title The EIP-712 digest of a receipt, hashed in scratch memory
/// @notice `digest` equals `keccak256("\x19\x01" ‖ domain ‖ keccak256(abi.encode(typeHash, payer, payee,
/// cumulativeBytes, cumulativeAmount)))`; contracts/test/ReceiptHashHarness.sol computes that in plain Solidity.
/// @dev `abi.encode` allocates its 192 bytes anew for every receipt and Solidity never frees them, so a batch's
/// memory (and its quadratic expansion cost) grows with every entry. Hashing at the free memory pointer without
/// moving it, as OpenZeppelin's `MessageHashUtils.toTypedDataHash` does, reuses the same bytes for every entry
/// (docs/benchmarks.md: ~30 gas per receipt at 50). Differential test: test/contracts/escrow.receipt-hash.test.ts.
library ReceiptHash {
    function digest(
        bytes32 domain,
        bytes32 typeHash,
        address payer,
        address payee,
        uint256 cumulativeBytes,
        uint256 cumulativeAmount
    ) internal pure returns (bytes32 result) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, typeHash)
            mstore(add(p, 0x20), and(payer, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(p, 0x40), and(payee, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(p, 0x60), cumulativeBytes)
            mstore(add(p, 0x80), cumulativeAmount)
            let structHash := keccak256(p, 0xa0)
            mstore(p, hex"1901")
            mstore(add(p, 0x02), domain)
            mstore(add(p, 0x22), structHash)
            result := keccak256(p, 0x42)
        }
    }
}
