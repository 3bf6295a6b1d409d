// SPDX-License-Identifier: MIT
pragma solidity 0.8.29;

/// @title FalseReturnToken
/// @notice A token whose transfers can be switched to return `false` instead of reverting, for tests only.
contract FalseReturnToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    bool public failing;

    /// @notice Test faucet.
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    /// @notice Makes every later transfer return false (and move nothing).
    function setFailing(bool failing_) external {
        failing = failing_;
    }

    /// @notice Standard approve.
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    /// @notice Returns false when failing.
    function transfer(address to, uint256 amount) external returns (bool) {
        if (failing) return false;
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        return true;
    }

    /// @notice Returns false when failing.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (failing) return false;
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        return true;
    }
}
