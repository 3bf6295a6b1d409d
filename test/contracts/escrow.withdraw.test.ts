import { expect } from 'chai'
import {
  useEscrowFixture, receiptOf, escrowAs, send, deposit, signReceipt, expectRevert, escrowEvents, increaseTime, transfersIn, DELAY, E18
} from './fixture.ts'
import { ESCROW_KINDS, escrowContract, assetBalance } from './fixture.ts'

for (const kind of ESCROW_KINDS) describe(`${escrowContract(kind)} withdrawals`, () => {
  const fx = useEscrowFixture({ kind })
  const receipt = receiptOf

  it('pays the request after the delay and not before', async () => {
    const payer = fx.payers[0]!
    await deposit(fx, payer, 10n * E18)
    const tx = await send(escrowAs(fx, payer), 'requestWithdrawal', 4n * E18)
    const block = await fx.provider.getBlock(tx.blockNumber)
    const unlockAt = BigInt(block!.timestamp) + DELAY
    expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'WithdrawalRequested', args: [payer.address, 4n * E18, unlockAt] }])
    expect([...await fx.escrow.getFunction('withdrawalOf')(payer.address)]).to.deep.equal([4n * E18, unlockAt])
    await expectRevert(escrowAs(fx, payer).getFunction('withdraw')(), fx.escrow.interface, 'WithdrawalLocked')
    await increaseTime(fx, DELAY)
    const before = await assetBalance(fx, payer.address)
    const out = await send(escrowAs(fx, payer), 'withdraw')
    expect(escrowEvents(fx, out)).to.deep.equal([{ name: 'Withdrawn', args: [payer.address, 4n * E18] }])
    expect(await assetBalance(fx, payer.address)).to.equal(before + 4n * E18)
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(6n * E18)
    await expectRevert(escrowAs(fx, payer).getFunction('withdraw')(), fx.escrow.interface, 'NoWithdrawalPending', [payer.address])
  })

  it('lets a payee settle during a pending withdrawal; the withdrawal then gets only the remainder', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    await send(escrowAs(fx, payer), 'requestWithdrawal', 10n * E18)
    const r = receipt(payer, payee, 5n, 6n * E18)
    await send(escrowAs(fx, payee), 'settle', r, await signReceipt(fx, payer, r))
    await increaseTime(fx, DELAY)
    const out = await send(escrowAs(fx, payer), 'withdraw')
    expect(await transfersIn(fx, out)).to.deep.equal([{ from: fx.escrowAddress, to: payer.address, value: 4n * E18 }])
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(0n)
  })

  it('pays nothing, and clears the request, when settlements drained the balance', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 2n * E18)
    await send(escrowAs(fx, payer), 'requestWithdrawal', 2n * E18)
    const r = receipt(payer, payee, 5n, 2n * E18)
    await send(escrowAs(fx, payee), 'settle', r, await signReceipt(fx, payer, r))
    await increaseTime(fx, DELAY)
    const out = await send(escrowAs(fx, payer), 'withdraw')
    expect(escrowEvents(fx, out)).to.deep.equal([{ name: 'Withdrawn', args: [payer.address, 0n] }])
    expect(await transfersIn(fx, out)).to.deep.equal([])
    expect([...await fx.escrow.getFunction('withdrawalOf')(payer.address)]).to.deep.equal([0n, 0n])
  })

  it('restarts the clock when a request is replaced', async () => {
    const payer = fx.payers[0]!
    await deposit(fx, payer, 10n * E18)
    await send(escrowAs(fx, payer), 'requestWithdrawal', E18)
    await increaseTime(fx, DELAY - 10n)
    await send(escrowAs(fx, payer), 'requestWithdrawal', 2n * E18)
    await increaseTime(fx, 20n)
    await expectRevert(escrowAs(fx, payer).getFunction('withdraw')(), fx.escrow.interface, 'WithdrawalLocked')
  })

  it('cancels a pending request', async () => {
    const payer = fx.payers[0]!
    await deposit(fx, payer, 10n * E18)
    await send(escrowAs(fx, payer), 'requestWithdrawal', E18)
    const tx = await send(escrowAs(fx, payer), 'cancelWithdrawal')
    expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'WithdrawalCancelled', args: [payer.address] }])
    await increaseTime(fx, DELAY)
    await expectRevert(escrowAs(fx, payer).getFunction('withdraw')(), fx.escrow.interface, 'NoWithdrawalPending', [payer.address])
    await expectRevert(escrowAs(fx, payer).getFunction('cancelWithdrawal')(), fx.escrow.interface, 'NoWithdrawalPending', [payer.address])
  })

  it('reverts with WithdrawalExpired once the window after unlockAt has passed; a fresh request works', async () => {
    const payer = fx.payers[0]!
    await deposit(fx, payer, 10n * E18)
    const req = await send(escrowAs(fx, payer), 'requestWithdrawal', 4n * E18)
    const unlockAt = BigInt((await fx.provider.getBlock(req.blockNumber))!.timestamp) + DELAY
    expect(await fx.escrow.getFunction('withdrawalWindow')()).to.equal(DELAY)
    const expiredAt = unlockAt + DELAY
    await fx.provider.send('evm_setNextBlockTimestamp', [Number(expiredAt)])
    await expectRevert(escrowAs(fx, payer).getFunction('withdraw')(), fx.escrow.interface, 'WithdrawalExpired',
      [payer.address, expiredAt, expiredAt])
    // The stale request stays stored but can never be executed; the payer must announce again (a new event).
    const again = await send(escrowAs(fx, payer), 'requestWithdrawal', 4n * E18)
    expect(escrowEvents(fx, again).map(e => e.name)).to.deep.equal(['WithdrawalRequested'])
    await expectRevert(escrowAs(fx, payer).getFunction('withdraw')(), fx.escrow.interface, 'WithdrawalLocked')
    await increaseTime(fx, DELAY)
    const out = await send(escrowAs(fx, payer), 'withdraw')
    expect(escrowEvents(fx, out)).to.deep.equal([{ name: 'Withdrawn', args: [payer.address, 4n * E18] }])
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(6n * E18)
  })

  it('still withdraws in the last second of the window', async () => {
    const payer = fx.payers[0]!
    await deposit(fx, payer, 10n * E18)
    const req = await send(escrowAs(fx, payer), 'requestWithdrawal', 4n * E18)
    const unlockAt = BigInt((await fx.provider.getBlock(req.blockNumber))!.timestamp) + DELAY
    await fx.provider.send('evm_setNextBlockTimestamp', [Number(unlockAt + DELAY - 1n)])
    const out = await send(escrowAs(fx, payer), 'withdraw')
    expect(escrowEvents(fx, out)).to.deep.equal([{ name: 'Withdrawn', args: [payer.address, 4n * E18] }])
  })

  it('cancels an expired request', async () => {
    const payer = fx.payers[0]!
    await deposit(fx, payer, 10n * E18)
    await send(escrowAs(fx, payer), 'requestWithdrawal', E18)
    await increaseTime(fx, 3n * DELAY)
    const tx = await send(escrowAs(fx, payer), 'cancelWithdrawal')
    expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'WithdrawalCancelled', args: [payer.address] }])
  })

  it('reverts with ZeroAmount and InsufficientBalance for requests it cannot honour', async () => {
    const payer = fx.payers[0]!
    await deposit(fx, payer, 10n * E18)
    await expectRevert(escrowAs(fx, payer).getFunction('requestWithdrawal')(0n), fx.escrow.interface, 'ZeroAmount')
    await expectRevert(escrowAs(fx, payer).getFunction('requestWithdrawal')(11n * E18), fx.escrow.interface,
      'InsufficientBalance', [payer.address, 10n * E18, 11n * E18])
  })
})
