/**
 * What only the native-coin escrow does: deposits as `msg.value`, and payouts that no recipient can block. The
 * attacks come first: a payee (or payer) contract that refuses coins, burns the stipend, or re-enters, must not
 * make a settlement, a batch or a withdrawal fail, and must not lose what it is owed: it claims it later.
 */
import { expect } from 'chai'
import { type Contract, type Wallet } from 'ethers'
import {
  useEscrowFixture, escrowAs, send, deposit, signReceipt, expectRevert, escrowEvents, transfersIn, deploy, increaseTime,
  batchEntry, packBatch, escrowHolds, assetBalance, receiptOf, DELAY, E18
} from './fixture.ts'
import type { Receipt } from '../../agent/pay/receipt.ts'

const ZERO = '0x' + '00'.repeat(20)
enum Mode { Accept, Refuse, Burn, Reenter }

describe('NativeBandwidthEscrow deposits', () => {
  const fx = useEscrowFixture({ kind: 'native' })

  it('credits msg.value to the caller and emits Deposited', async () => {
    const payer = fx.payers[0]!
    const tx = await deposit(fx, payer, 7n * E18)
    expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'Deposited', args: [payer.address, payer.address, 7n * E18] }])
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(7n * E18)
    expect(await escrowHolds(fx)).to.equal(7n * E18)
  })

  it('depositFor credits another payer with the caller\'s coins', async () => {
    const [funder, payer] = [fx.payers[0]!, fx.payers[1]!]
    const tx = await send(escrowAs(fx, funder), 'depositFor', payer.address, { value: 3n * E18 })
    expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'Deposited', args: [payer.address, funder.address, 3n * E18] }])
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(3n * E18)
    expect(await fx.escrow.getFunction('balanceOf')(funder.address)).to.equal(0n)
  })

  it('reverts with ZeroAmount, ZeroAddress, and UseDeposit for a plain transfer', async () => {
    const payer = fx.payers[0]!
    const iface = fx.escrow.interface
    await expectRevert(escrowAs(fx, payer).getFunction('deposit')({ value: 0n }), iface, 'ZeroAmount')
    await expectRevert(escrowAs(fx, payer).getFunction('depositFor')(payer.address, { value: 0n }), iface, 'ZeroAmount')
    await expectRevert(escrowAs(fx, payer).getFunction('depositFor')(ZERO, { value: 1n }), iface, 'ZeroAddress')
    await expectRevert(payer.sendTransaction({ to: fx.escrowAddress, value: 1n }), iface, 'UseDeposit')
    expect(await escrowHolds(fx)).to.equal(0n)
  })

  it('says it holds the native coin (token() is zero), and refuses a zero delay', async () => {
    expect(await fx.escrow.getFunction('token')()).to.equal(ZERO)
    expect(await fx.escrow.getFunction('PAYOUT_GAS')()).to.equal(0n)
    await expectRevert(deploy('NativeBandwidthEscrow', fx.deployer, [0n]), fx.escrow.interface, 'ZeroAmount')
  })
})

describe('NativeBandwidthEscrow payouts to hostile accounts', () => {
  const fx = useEscrowFixture({ kind: 'native' })

  async function hostile (mode: Mode): Promise<Contract> {
    return await deploy('HostileAccount', fx.deployer, [mode])
  }

  /** A receipt from payer 0 to `payee` (an address: a contract cannot sign, but it can be paid). */
  function receiptTo (payer: Wallet, payee: string, bytes: bigint, amount: bigint): Receipt {
    return { payer: payer.address, payee, cumulativeBytes: bytes, cumulativeAmount: amount }
  }

  async function settleTo (payee: string, amount: bigint, payer = fx.payers[0]!): Promise<import('ethers').TransactionReceipt> {
    const r = receiptTo(payer, payee, 1000n, amount)
    // A relayer settles: anyone may, and money only goes to the payee.
    return await send(escrowAs(fx, fx.deployer), 'settle', r, await signReceipt(fx, payer, r))
  }

  /** The books and the coins agree: free balances + lanes + unclaimed payouts = what the escrow holds. */
  async function expectBooksBalance (accounts: string[], payers: Wallet[]): Promise<void> {
    let books = 0n
    for (const p of payers) books += await fx.escrow.getFunction('balanceOf')(p.address) as bigint
    for (const a of accounts) books += await fx.escrow.getFunction('unclaimedOf')(a) as bigint
    expect(await escrowHolds(fx)).to.equal(books)
  }

  it('pays an accepting contract payee at once', async () => {
    await deposit(fx, fx.payers[0]!, 10n * E18)
    const payee = await hostile(Mode.Accept)
    const tx = await settleTo(await payee.getAddress(), 2n * E18)
    expect(await transfersIn(fx, tx)).to.deep.equal([{ from: fx.escrowAddress, to: await payee.getAddress(), value: 2n * E18 }])
    expect(escrowEvents(fx, tx).map(e => e.name)).to.deep.equal(['Settled'])
  })

  for (const [name, mode] of [['refuses coins', Mode.Refuse], ['burns all its gas', Mode.Burn], ['re-enters the escrow', Mode.Reenter]] as const) {
    it(`settles to a payee that ${name}: the payout waits as unclaimed, the settlement succeeds`, async () => {
      const payer = fx.payers[0]!
      await deposit(fx, payer, 10n * E18)
      const payee = await hostile(mode)
      const payeeAddress = await payee.getAddress()
      if (mode === Mode.Reenter) {
        // Try to take the payout twice while it is being paid.
        await send(payee, 'setReentry', fx.escrowAddress, fx.escrow.interface.encodeFunctionData('claim', [payeeAddress]))
      }
      const tx = await settleTo(payeeAddress, 4n * E18)
      expect(escrowEvents(fx, tx)).to.deep.equal([
        { name: 'Settled', args: [payer.address, payeeAddress, 4n * E18, 1000n, 4n * E18] },
        { name: 'PayoutDeferred', args: [payeeAddress, 4n * E18] }
      ])
      expect(await transfersIn(fx, tx)).to.deep.equal([])
      // The stipend bounds what the payee could burn: settling costs it at most a stored claim more than paying.
      expect(tx.gasUsed < 120_000n, `settle used ${tx.gasUsed} gas`).to.equal(true)
      expect(await fx.escrow.getFunction('unclaimedOf')(payeeAddress)).to.equal(4n * E18)
      expect(await fx.escrow.getFunction('paidOut')(payer.address, payeeAddress)).to.equal(4n * E18)
      await expectBooksBalance([payeeAddress], [payer])
    })
  }

  it('lets the payee claim what it refused, to itself once it accepts or to any address; a second claim has nothing', async () => {
    const payer = fx.payers[0]!
    await deposit(fx, payer, 10n * E18)
    const payee = await hostile(Mode.Refuse)
    const payeeAddress = await payee.getAddress()
    await settleTo(payeeAddress, 3n * E18)
    const to = fx.payees[1]!.address
    const before = await assetBalance(fx, to)
    const claim = await send(payee, 'exec', fx.escrowAddress, fx.escrow.interface.encodeFunctionData('claim', [to]))
    expect(escrowEvents(fx, claim)).to.deep.equal([{ name: 'Claimed', args: [payeeAddress, to, 3n * E18] }])
    expect(await assetBalance(fx, to)).to.equal(before + 3n * E18)
    expect(await fx.escrow.getFunction('unclaimedOf')(payeeAddress)).to.equal(0n)
    await expectRevert(send(payee, 'exec', fx.escrowAddress, fx.escrow.interface.encodeFunctionData('claim', [to])),
      fx.escrow.interface, 'NothingToClaim', [payeeAddress])
    await expectBooksBalance([payeeAddress], [payer])
  })

  it('reverts a claim with ClaimFailed when the recipient refuses, and keeps it claimable; ZeroAddress for no recipient', async () => {
    await deposit(fx, fx.payers[0]!, 10n * E18)
    const payee = await hostile(Mode.Refuse)
    const payeeAddress = await payee.getAddress()
    await settleTo(payeeAddress, 3n * E18)
    const claimTo = (to: string): string => fx.escrow.interface.encodeFunctionData('claim', [to])
    await expectRevert(send(payee, 'exec', fx.escrowAddress, claimTo(payeeAddress)), fx.escrow.interface, 'ClaimFailed', [payeeAddress, 3n * E18])
    await expectRevert(send(payee, 'exec', fx.escrowAddress, claimTo(ZERO)), fx.escrow.interface, 'ZeroAddress')
    expect(await fx.escrow.getFunction('unclaimedOf')(payeeAddress)).to.equal(3n * E18)
    // Once it accepts coins, it claims to itself with all the gas it needs.
    await send(payee, 'setMode', Mode.Accept)
    const claim = await send(payee, 'exec', fx.escrowAddress, claimTo(payeeAddress))
    expect(await transfersIn(fx, claim)).to.deep.equal([{ from: fx.escrowAddress, to: payeeAddress, value: 3n * E18 }])
  })

  it('a batch to a refusing payee settles every payer and defers one payout', async () => {
    const payee = await hostile(Mode.Refuse)
    const payeeAddress = await payee.getAddress()
    const payers = fx.payers.slice(0, 3)
    const entries: string[] = []
    for (const [i, p] of payers.entries()) {
      await deposit(fx, p, 5n * E18)
      const r = receiptTo(p, payeeAddress, 100n, BigInt(i + 1) * E18)
      entries.push(batchEntry(r, await signReceipt(fx, p, r)))
    }
    const tx = await send(escrowAs(fx, fx.deployer), 'settleBatch', payeeAddress, packBatch(entries))
    const events = escrowEvents(fx, tx)
    expect(events.map(e => e.name)).to.deep.equal(['BatchSettled', 'PayoutDeferred'])
    expect(events[1]!.args).to.deep.equal([payeeAddress, 6n * E18])
    expect(await fx.escrow.getFunction('unclaimedOf')(payeeAddress)).to.equal(6n * E18)
    await expectBooksBalance([payeeAddress], payers)
  })

  it('a payer contract that refuses its withdrawal still gets it, as unclaimed', async () => {
    const payer = await hostile(Mode.Accept)
    const payerAddress = await payer.getAddress()
    const iface = fx.escrow.interface
    await send(payer, 'exec', fx.escrowAddress, iface.encodeFunctionData('deposit', []), { value: 5n * E18 })
    await send(payer, 'exec', fx.escrowAddress, iface.encodeFunctionData('requestWithdrawal', [2n * E18]))
    await increaseTime(fx, DELAY)
    await send(payer, 'setMode', Mode.Burn)
    const out = await send(payer, 'exec', fx.escrowAddress, iface.encodeFunctionData('withdraw', []))
    expect(escrowEvents(fx, out)).to.deep.equal([
      { name: 'Withdrawn', args: [payerAddress, 2n * E18] },
      { name: 'PayoutDeferred', args: [payerAddress, 2n * E18] }
    ])
    expect(await fx.escrow.getFunction('balanceOf')(payerAddress)).to.equal(3n * E18)
    expect(await fx.escrow.getFunction('unclaimedOf')(payerAddress)).to.equal(2n * E18)
    expect(await escrowHolds(fx)).to.equal(5n * E18)
  })

  it('an honest payee is unaffected by a hostile one settled in the same block', async () => {
    const [payer, honest] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    const bad = await hostile(Mode.Burn)
    await settleTo(await bad.getAddress(), 2n * E18)
    const r = receiptOf(payer, honest, 10n, 3n * E18)
    const tx = await send(escrowAs(fx, honest), 'settle', r, await signReceipt(fx, payer, r))
    expect(await transfersIn(fx, tx)).to.deep.equal([{ from: fx.escrowAddress, to: honest.address, value: 3n * E18 }])
    await expectBooksBalance([await bad.getAddress(), honest.address], [payer])
  })
})
