import { expect } from 'chai'
import {
  useEscrowFixture, receiptOf, escrowAs, send, deposit, signReceipt, expectRevert, escrowEvents, increaseTime, DELAY, E18
} from './fixture.ts'
import { ESCROW_KINDS, escrowContract } from './fixture.ts'

for (const kind of ESCROW_KINDS) describe(`${escrowContract(kind)} signers`, () => {
  const fx = useEscrowFixture({ kind })
  const receipt = receiptOf
  const zero = '0x' + '00'.repeat(20)

  it('settles receipts signed by the named signer and still by the payer itself', async () => {
    const [payer, hot, payee] = [fx.payers[0]!, fx.payers[1]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    const tx = await send(escrowAs(fx, payer), 'setSigner', hot.address)
    expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'SignerChanged', args: [payer.address, hot.address, zero, 0n] }])
    const r1 = receipt(payer, payee, 1n, E18)
    await send(escrowAs(fx, payee), 'settle', r1, await signReceipt(fx, hot, r1))
    const r2 = receipt(payer, payee, 2n, 2n * E18)
    await send(escrowAs(fx, payee), 'settle', r2, await signReceipt(fx, payer, r2))
    expect(await fx.escrow.getFunction('paidOut')(payer.address, payee.address)).to.equal(2n * E18)
  })

  it('keeps a replaced signer valid until the delay ends, and not after', async () => {
    const [payer, oldKey, newKey, payee] = [fx.payers[0]!, fx.payers[1]!, fx.payers[2]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    await send(escrowAs(fx, payer), 'setSigner', oldKey.address)
    const tx = await send(escrowAs(fx, payer), 'setSigner', newKey.address)
    const block = await fx.provider.getBlock(tx.blockNumber)
    const until = BigInt(block!.timestamp) + DELAY
    expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'SignerChanged', args: [payer.address, newKey.address, oldKey.address, until] }])
    expect([...await fx.escrow.getFunction('signerOf')(payer.address)]).to.deep.equal([newKey.address, oldKey.address, until])

    const r1 = receipt(payer, payee, 1n, E18)
    await send(escrowAs(fx, payee), 'settle', r1, await signReceipt(fx, oldKey, r1))
    await increaseTime(fx, DELAY)
    const r2 = receipt(payer, payee, 2n, 2n * E18)
    await expectRevert(escrowAs(fx, payee).getFunction('settle')(r2, await signReceipt(fx, oldKey, r2)),
      fx.escrow.interface, 'InvalidSigner', [payer.address, oldKey.address])
    await send(escrowAs(fx, payee), 'settle', r2, await signReceipt(fx, newKey, r2))
  })

  it('reverts with SignerRotationPending when rotating again within the delay', async () => {
    const [payer, a, b, c] = [fx.payers[0]!, fx.payers[1]!, fx.payers[2]!, fx.payers[3]!]
    await send(escrowAs(fx, payer), 'setSigner', a.address)
    const tx = await send(escrowAs(fx, payer), 'setSigner', b.address)
    const until = BigInt((await fx.provider.getBlock(tx.blockNumber))!.timestamp) + DELAY
    await expectRevert(escrowAs(fx, payer).getFunction('setSigner')(c.address), fx.escrow.interface,
      'SignerRotationPending', [a.address, until])
    await increaseTime(fx, DELAY)
    await send(escrowAs(fx, payer), 'setSigner', c.address)
  })

  it('reverts with SignerUnchanged when naming the current signer', async () => {
    const [payer, a] = [fx.payers[0]!, fx.payers[1]!]
    await expectRevert(escrowAs(fx, payer).getFunction('setSigner')(zero), fx.escrow.interface, 'SignerUnchanged', [zero])
    await send(escrowAs(fx, payer), 'setSigner', a.address)
    await expectRevert(escrowAs(fx, payer).getFunction('setSigner')(a.address), fx.escrow.interface, 'SignerUnchanged', [a.address])
  })

  it('clears the signer with the zero address; the old key keeps counting for the delay', async () => {
    const [payer, hot, payee] = [fx.payers[0]!, fx.payers[1]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    await send(escrowAs(fx, payer), 'setSigner', hot.address)
    await send(escrowAs(fx, payer), 'setSigner', zero)
    const r = receipt(payer, payee, 1n, E18)
    await send(escrowAs(fx, payee), 'settle', r, await signReceipt(fx, hot, r))
  })
})
