import { expect } from 'chai'
import {
  useEscrowFixture, escrowAs, escrowWithToken, send, expectRevert, escrowEvents, deploy, contractAt, increaseTime, DELAY, E18
} from './fixture.ts'

describe('BandwidthEscrow.deposit', () => {
  const fx = useEscrowFixture()

  it('credits the payer and emits Deposited', async () => {
    const payer = fx.payers[0]!
    const tx = await send(escrowAs(fx, payer), 'deposit', 7n * E18)
    expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'Deposited', args: [payer.address, payer.address, 7n * E18] }])
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(7n * E18)
    expect(await fx.token.getFunction('balanceOf')(fx.escrowAddress)).to.equal(7n * E18)
  })

  it('depositFor credits another payer with the caller\'s tokens', async () => {
    const [funder, payer] = [fx.payers[0]!, fx.payers[1]!]
    const tx = await send(escrowAs(fx, funder), 'depositFor', payer.address, 3n * E18)
    expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'Deposited', args: [payer.address, funder.address, 3n * E18] }])
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(3n * E18)
    expect(await fx.escrow.getFunction('balanceOf')(funder.address)).to.equal(0n)
  })

  it('reverts with ZeroAmount and ZeroAddress', async () => {
    const payer = fx.payers[0]!
    await expectRevert(escrowAs(fx, payer).getFunction('deposit')(0n), fx.escrow.interface, 'ZeroAmount')
    await expectRevert(escrowAs(fx, payer).getFunction('depositFor')('0x' + '00'.repeat(20), 1n), fx.escrow.interface, 'ZeroAddress')
  })

  it('reverts with the token\'s error when the payer has not approved enough', async () => {
    const payer = fx.payers[0]!
    await send(fx.token.connect(payer) as typeof fx.token, 'approve', fx.escrowAddress, 1n)
    await expectRevert(escrowAs(fx, payer).getFunction('deposit')(2n), fx.token.interface, 'ERC20InsufficientAllowance')
  })

  it('refuses construction with a zero token or zero delay', async () => {
    const iface = fx.escrow.interface
    await expectRevert(deploy('BandwidthEscrow', fx.deployer, ['0x' + '00'.repeat(20), 1n]), iface, 'ZeroAddress')
    await expectRevert(deploy('BandwidthEscrow', fx.deployer, [fx.tokenAddress, 0n]), iface, 'ZeroAmount')
  })

  it('exposes its token and delay', async () => {
    expect(await fx.escrow.getFunction('token')()).to.equal(fx.tokenAddress)
    expect(await fx.escrow.getFunction('withdrawalDelay')()).to.equal(3600n)
  })
})

describe('BandwidthEscrow with unusual tokens', () => {
  const fx = useEscrowFixture()

  it('credits only what a fee-on-transfer token delivered', async () => {
    const payer = fx.payers[0]!
    const { token: fee, escrow } = await escrowWithToken(fx, 'FeeOnTransferToken', [100n], payer, 1000n) // 1 %
    await send(escrow, 'deposit', 1000n)
    expect(await escrow.getFunction('balanceOf')(payer.address)).to.equal(990n)
    expect(await fee.getFunction('balanceOf')(await escrow.getAddress())).to.equal(990n)
  })

  it('reverts with NothingReceived when a token delivers nothing', async () => {
    const payer = fx.payers[0]!
    const { escrow } = await escrowWithToken(fx, 'FeeOnTransferToken', [10_000n], payer, 1000n) // 100 %
    await expectRevert(escrow.getFunction('deposit')(1000n), escrow.interface, 'NothingReceived', [1000n])
  })

  it('works with a token whose transfers return no data', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    const { token, escrow } = await escrowWithToken(fx, 'NoReturnToken', [], payer, 1000n)
    await send(escrow, 'deposit', 1000n)
    await send(escrow, 'requestWithdrawal', 400n)
    await increaseTime(fx, DELAY)
    await send(escrow, 'withdraw')
    expect(await token.getFunction('balanceOf')(payer.address)).to.equal(400n)
    expect(await token.getFunction('balanceOf')(payee.address)).to.equal(0n)
  })

  it('reverts with SafeERC20FailedOperation when a token returns false', async () => {
    const payer = fx.payers[0]!
    const { token, escrow } = await escrowWithToken(fx, 'FalseReturnToken', [], payer, 1000n)
    await send(escrow, 'deposit', 1000n)
    await send(escrow, 'requestWithdrawal', 1000n)
    await increaseTime(fx, DELAY)
    await send(token.connect(payer) as typeof token, 'setFailing', true)
    const safeErc20 = contractAt('SafeERC20', await token.getAddress(), payer).interface
    await expectRevert(escrow.getFunction('withdraw')(), safeErc20, 'SafeERC20FailedOperation', [await token.getAddress()])
    await expectRevert(escrow.getFunction('deposit')(1n), safeErc20, 'SafeERC20FailedOperation')
    expect(await escrow.getFunction('balanceOf')(payer.address)).to.equal(1000n)
  })
})
