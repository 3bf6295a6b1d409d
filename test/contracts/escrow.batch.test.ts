import { expect } from 'chai'
import { solidityPacked, type Wallet } from 'ethers'
import {
  useEscrowFixture, receiptOf, escrowAs, send, deposit, signReceipt, expectRevert, transfersIn, escrowEvents, batchEntry,
  packBatch, E18
} from './fixture.ts'
import { ESCROW_KINDS, escrowContract } from './fixture.ts'
import type { Receipt } from '../../agent/pay/receipt.ts'

for (const kind of ESCROW_KINDS) describe(`${escrowContract(kind)}.settleBatch`, () => {
  const fx = useEscrowFixture({ kind })
  const receipt = receiptOf
  const entryFor = async (signer: Wallet, r: Receipt): Promise<string> => batchEntry(r, await signReceipt(fx, signer, r))

  it('pays exactly the valid entries of a batch mixing valid, stale, forged and unfunded ones, in one transfer', async () => {
    const payee = fx.payees[0]!
    const [a, b, c, d] = fx.payers as [Wallet, Wallet, Wallet, Wallet]
    await deposit(fx, a, 10n * E18)
    await deposit(fx, b, 10n * E18)
    await deposit(fx, c, 10n * E18)
    // b already settled 4 BTT, so a receipt for 3 is stale
    const bOld = receipt(b, payee, 40n, 4n * E18)
    await send(escrowAs(fx, payee), 'settle', bOld, await signReceipt(fx, b, bOld))
    const entries = [
      await entryFor(a, receipt(a, payee, 100n, 2n * E18)), // valid
      await entryFor(b, receipt(b, payee, 30n, 3n * E18)), // stale
      await entryFor(d, receipt(c, payee, 50n, 5n * E18)), // forged: signed by d for c
      await entryFor(d, receipt(d, payee, 60n, 6n * E18)), // unfunded: d never deposited
      await entryFor(b, receipt(b, payee, 70n, 7n * E18)) // valid: pays 3 more
    ]
    const tx = await send(escrowAs(fx, payee), 'settleBatch', payee.address, packBatch(entries))
    expect(await transfersIn(fx, tx)).to.deep.equal([{ from: fx.escrowAddress, to: payee.address, value: 5n * E18 }])
    const events = escrowEvents(fx, tx)
    // the unfunded but validly signed entry leaves its claim on record
    expect(events.map(e => e.name)).to.deep.equal(['Bounced', 'BatchSettled'])
    expect(events[0]!.args).to.deep.equal([d.address, payee.address, 6n * E18])
    const [eventPayee, totalPaid, skipped, records] = events[1]!.args as [string, bigint, bigint, string]
    expect([eventPayee, totalPaid, skipped]).to.deep.equal([payee.address, 5n * E18, 3n])
    expect(records).to.equal(solidityPacked(
      ['address', 'uint64', 'uint128', 'uint128', 'address', 'uint64', 'uint128', 'uint128'],
      [a.address, 100n, 2n * E18, 2n * E18, b.address, 70n, 7n * E18, 3n * E18]))
    expect(await fx.escrow.getFunction('paidOut')(b.address, payee.address)).to.equal(7n * E18)
    expect(await fx.escrow.getFunction('paidOut')(c.address, payee.address)).to.equal(0n)
    expect(await fx.escrow.getFunction('balanceOf')(c.address)).to.equal(10n * E18)
  })

  it('accepts receipts signed by a payer\'s registered signer', async () => {
    const [payer, hot, payee] = [fx.payers[0]!, fx.payers[1]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    await send(escrowAs(fx, payer), 'setSigner', hot.address)
    const tx = await send(escrowAs(fx, payee), 'settleBatch', payee.address,
      packBatch([await entryFor(hot, receipt(payer, payee, 1n, E18))]))
    expect(await transfersIn(fx, tx)).to.deep.equal([{ from: fx.escrowAddress, to: payee.address, value: E18 }])
  })

  it('pays an underfunded entry in part and emits Bounced for the rest', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 2n * E18)
    const tx = await send(escrowAs(fx, payee), 'settleBatch', payee.address,
      packBatch([await entryFor(payer, receipt(payer, payee, 9n, 5n * E18))]))
    const events = escrowEvents(fx, tx)
    expect(events.map(e => e.name)).to.deep.equal(['Bounced', 'BatchSettled'])
    expect(events[0]!.args).to.deep.equal([payer.address, payee.address, 3n * E18])
    expect(await transfersIn(fx, tx)).to.deep.equal([{ from: fx.escrowAddress, to: payee.address, value: 2n * E18 }])
  })

  it('skips an entry for a different payee and one whose payer is the payee', async () => {
    const [payer, payee, other] = [fx.payers[0]!, fx.payees[0]!, fx.payees[1]!]
    await deposit(fx, payer, 10n * E18)
    await deposit(fx, fx.payers[1]!, 10n * E18)
    const tx = await send(escrowAs(fx, payee), 'settleBatch', payee.address, packBatch([
      await entryFor(payer, receipt(payer, other, 1n, E18)), // signed for another payee: recovers someone else
      await entryFor(payee, receipt(payee, payee, 1n, E18))
    ]))
    expect(await transfersIn(fx, tx)).to.deep.equal([])
    expect(escrowEvents(fx, tx)[0]!.args.slice(1, 3)).to.deep.equal([0n, 2n])
  })

  it('settles a duplicate payer only once', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    const e = await entryFor(payer, receipt(payer, payee, 1n, E18))
    const tx = await send(escrowAs(fx, payee), 'settleBatch', payee.address, packBatch([e, e]))
    expect(await transfersIn(fx, tx)).to.deep.equal([{ from: fx.escrowAddress, to: payee.address, value: E18 }])
  })

  it('reverts with EmptyBatch, MalformedBatch, BatchTooLarge and ZeroAddress', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    const e = await entryFor(payer, receipt(payer, payee, 1n, E18))
    const escrow = escrowAs(fx, payee)
    await expectRevert(escrow.getFunction('settleBatch')(payee.address, '0x'), fx.escrow.interface, 'EmptyBatch')
    await expectRevert(escrow.getFunction('settleBatch')(payee.address, e + 'ff'), fx.escrow.interface, 'MalformedBatch', [109n])
    await expectRevert(escrow.getFunction('settleBatch')(payee.address, packBatch(Array<string>(257).fill(e))),
      fx.escrow.interface, 'BatchTooLarge', [257n, 256n])
    await expectRevert(escrow.getFunction('settleBatch')('0x' + '00'.repeat(20), e), fx.escrow.interface, 'ZeroAddress')
  })
})
