import { expect } from 'chai'
import { ZeroAddress } from 'ethers'
import { useChainFixture, fund, increaseTime, DELAY, E18 } from './fixture.ts'
import { isEscrowRevert, EscrowRevertError, ReadOnlyClientError } from '../../../agent/chain/errors.ts'
import type { EscrowEvent } from '../../../agent/chain/client.ts'

function only<N extends EscrowEvent['name']> (events: EscrowEvent[], name: N): Extract<EscrowEvent, { name: N }> {
  const found = events.filter(e => e.name === name)
  expect(found, `one ${name} in ${events.map(e => e.name).join(',')}`).to.have.length(1)
  return found[0] as Extract<EscrowEvent, { name: N }>
}

describe('EvmChain: payer operations', function () {
  const fx = useChainFixture()

  it('reads the escrow configuration: token, delay, chain id', async () => {
    const c = fx.readOnly
    expect(await c.token()).to.equal(fx.deployment.token.hex)
    expect(await c.withdrawalDelay()).to.equal(DELAY)
    expect(c.chainId).to.equal(3448148188n)
    expect(c.account).to.equal(undefined)
  })

  it('approves, deposits and reports the Deposited event with gas and block', async () => {
    const payer = fx.clients[1]!
    await payer.mintTestBTT(payer.account!, 10n * E18)
    const approval = await payer.approve(10n * E18)
    expect(approval.events).to.deep.equal([])
    expect(await payer.allowance(payer.account!)).to.equal(10n * E18)
    const res = await payer.deposit(4n * E18)
    expect(res.txId).to.match(/^0x[0-9a-f]{64}$/)
    expect(res.gasUsed > 21_000n).to.equal(true)
    expect(res.blockNumber).to.be.a('number')
    const ev = only(res.events, 'Deposited')
    expect(ev).to.include({ payer: payer.account, from: payer.account, amount: 4n * E18, txId: res.txId, blockNumber: res.blockNumber })
    expect(await payer.balanceOf(payer.account!)).to.equal(4n * E18)
    expect(await payer.tokenBalanceOf(payer.account!)).to.equal(6n * E18)
  })

  it('depositFor credits another payer', async () => {
    const sponsor = fx.clients[0]!
    const payer = fx.clients[2]!.account!
    await sponsor.mintTestBTT(sponsor.account!, E18)
    await sponsor.approve(E18)
    const res = await sponsor.depositFor(payer, E18)
    expect(only(res.events, 'Deposited')).to.include({ payer, from: sponsor.account, amount: E18 })
    expect(await fx.readOnly.balanceOf(payer)).to.equal(E18)
  })

  it('request, locked withdraw, time passes, withdraw: events and balances', async () => {
    const payer = fx.clients[1]!
    await fund(payer, 5n * E18)
    const req = await payer.requestWithdrawal(2n * E18)
    const requested = only(req.events, 'WithdrawalRequested')
    expect(requested.amount).to.equal(2n * E18)
    const pending = await payer.pendingWithdrawal(payer.account!)
    expect(pending).to.deep.equal({ amount: 2n * E18, unlockAt: requested.unlockAt })

    try {
      await payer.withdraw()
      expect.fail('withdraw before unlock succeeded')
    } catch (err) {
      expect(isEscrowRevert(err, 'WithdrawalLocked')).to.equal(true)
      const e = err as EscrowRevertError<'WithdrawalLocked'>
      expect(e.args.payer).to.equal(payer.account)
      expect(e.args.unlockAt).to.equal(requested.unlockAt)
    }

    await increaseTime(fx, DELAY)
    const out = await payer.withdraw()
    expect(only(out.events, 'Withdrawn')).to.include({ payer: payer.account, amount: 2n * E18 })
    expect(await payer.balanceOf(payer.account!)).to.equal(3n * E18)
    expect(await payer.pendingWithdrawal(payer.account!)).to.deep.equal({ amount: 0n, unlockAt: 0n })
  })

  it('cancelWithdrawal logs WithdrawalCancelled; a second cancel reverts with NoWithdrawalPending', async () => {
    const payer = fx.clients[1]!
    await fund(payer, E18)
    await payer.requestWithdrawal(E18)
    const res = await payer.cancelWithdrawal()
    expect(only(res.events, 'WithdrawalCancelled').payer).to.equal(payer.account)
    const err = await payer.cancelWithdrawal().catch((e: unknown) => e)
    expect(err).to.be.instanceOf(EscrowRevertError)
    expect((err as EscrowRevertError).errorName).to.equal('NoWithdrawalPending')
    expect((err as EscrowRevertError<'NoWithdrawalPending'>).args).to.deep.equal({ payer: payer.account })
  })

  it('setSigner logs SignerChanged and signerOf reads it back', async () => {
    const payer = fx.clients[1]!
    const hot = fx.wallets[9]!.address
    const res = await payer.setSigner(hot)
    expect(only(res.events, 'SignerChanged')).to.include({ payer: payer.account, signer: hot, previous: ZeroAddress, previousValidUntil: 0n })
    expect(await payer.signerOf(payer.account!)).to.deep.equal({ signer: hot, previous: ZeroAddress, previousValidUntil: 0n })
  })

  it('decodes reverts into typed errors: ZeroAmount, InsufficientBalance, the token\'s ERC20InsufficientAllowance', async () => {
    const payer = fx.clients[1]!
    const zero = await payer.deposit(0n).catch((e: unknown) => e)
    expect(isEscrowRevert(zero, 'ZeroAmount')).to.equal(true)

    const tooMuch = await payer.requestWithdrawal(5n).catch((e: unknown) => e)
    expect(isEscrowRevert(tooMuch, 'InsufficientBalance')).to.equal(true)
    expect((tooMuch as EscrowRevertError<'InsufficientBalance'>).args).to.deep.equal({ payer: payer.account, available: 0n, requested: 5n })

    await payer.mintTestBTT(payer.account!, E18)
    const unapproved = await payer.deposit(E18).catch((e: unknown) => e)
    expect(isEscrowRevert(unapproved, 'ERC20InsufficientAllowance')).to.equal(true)
    expect((unapproved as EscrowRevertError<'ERC20InsufficientAllowance'>).args).to.deep.equal({ spender: fx.deployment.escrow.hex, allowance: 0n, needed: E18 })
  })

  it('concurrent writes from one account take consecutive nonces', async () => {
    const payer = fx.clients[1]!
    await payer.mintTestBTT(payer.account!, 10n)
    await payer.approve(10n)
    const results = await Promise.all([1n, 2n, 3n, 4n].map(async n => await payer.deposit(n)))
    expect(results.map(r => only(r.events, 'Deposited').amount)).to.deep.equal([1n, 2n, 3n, 4n])
    expect(await payer.balanceOf(payer.account!)).to.equal(10n)
  })

  it('a read-only client refuses writes; an aborted signal stops a write before it is sent', async () => {
    const ro = await fx.readOnly.deposit(1n).catch((e: unknown) => e)
    expect(ro).to.be.instanceOf(ReadOnlyClientError)
    const payer = fx.clients[1]!
    const before = await fx.provider.getTransactionCount(payer.account!)
    const ac = new AbortController()
    ac.abort()
    const aborted = await payer.deposit(1n, { signal: ac.signal }).catch((e: unknown) => e)
    expect((aborted as Error).name).to.equal('AbortError')
    expect(await fx.provider.getTransactionCount(payer.account!)).to.equal(before)
  })
})
