// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title HostileAccount
/// @notice A contract payee or payer of the native escrow that treats incoming coins as its mode says, for tests
/// only: the griefing a payout must survive.
contract HostileAccount {
    /// @notice Accept: take the coins and do nothing. Refuse: revert. Burn: loop until the gas is gone.
    /// Reenter: call back into `target` (the escrow) with `reentry`, and revert if that fails.
    enum Mode {
        Accept,
        Refuse,
        Burn,
        Reenter
    }

    /// @notice Coins arrived in Refuse mode.
    error Refused();
    /// @notice The call back into the target failed.
    error ReentryFailed();

    Mode public mode;
    address public target;
    bytes public reentry;

    /// @param mode_ What to do when coins arrive.
    constructor(Mode mode_) {
        mode = mode_;
    }

    /// @notice Sets the mode (e.g. to accept a claim after refusing the payout).
    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @notice What the Reenter mode calls when coins arrive.
    function setReentry(address target_, bytes calldata reentry_) external {
        target = target_;
        reentry = reentry_;
    }

    /// @notice Calls `to` with `data` and `msg.value` as this account (deposit, withdraw, claim...); bubbles reverts.
    function exec(address to, bytes calldata data) external payable returns (bytes memory result) {
        bool ok;
        (ok, result) = to.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }

    // A recipient that does work on receipt is what is tested.
    // solhint-disable-next-line no-complex-fallback
    receive() external payable {
        Mode m = mode;
        if (m == Mode.Refuse) revert Refused();
        if (m == Mode.Burn) {
            // solhint-disable-next-line no-empty-blocks
            while (true) {}
        }
        if (m == Mode.Reenter) {
            // Calling back with arbitrary data is the attack.
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok,) = target.call(reentry);
            if (!ok) revert ReentryFailed();
        }
    }
}
