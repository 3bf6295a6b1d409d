import { expect } from 'chai'
import { Signature, toBeHex } from 'ethers'
import {
  useEscrowFixture, receiptOf, escrowAs, send, deposit, signReceipt, compact, expectRevert, transfersIn, escrowEvents, E18
} from './fixture.ts'
import { ESCROW_KINDS, escrowContract, deployEscrow, mintAsset, escrowHolds } from './fixture.ts'
import { RECEIPT_TYPEHASH, receiptDigest, receiptDomainSeparator } from '../../agent/pay/receipt.ts'

for (const kind of ESCROW_KINDS) describe(`${escrowContract(kind)}.settle`, () => {
  const fx = useEscrowFixture({ kind })
  const receipt = receiptOf

  it('has the RECEIPT_TYPEHASH, domain separator and digest of agent/pay/receipt.ts', async () => {
    expect(await fx.escrow.getFunction('RECEIPT_TYPEHASH')()).to.equal(RECEIPT_TYPEHASH)
    const domain = { chainId: fx.anvil.chainId, escrow: fx.escrowAddress }
    expect(await fx.escrow.getFunction('domainSeparator')()).to.equal(receiptDomainSeparator(domain))
    const r = receipt(fx.payers[0]!, fx.payees[0]!, 123n, 456n)
    expect(await fx.escrow.getFunction('hashReceipt')(r)).to.equal(receiptDigest(domain, r))
  })

  it('pays the payee the cumulative amount, with one Settled event and one transfer', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 100n * E18)
    const r = receipt(payer, payee, 1n << 20n, 5n * E18)
    const tx = await send(escrowAs(fx, payee), 'settle', r, await signReceipt(fx, payer, r))
    expect(await transfersIn(fx, tx)).to.deep.equal([{ from: fx.escrowAddress, to: payee.address, value: 5n * E18 }])
    expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'Settled', args: [payer.address, payee.address, 5n * E18, 1n << 20n, 5n * E18] }])
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(95n * E18)
    expect(await fx.escrow.getFunction('paidOut')(payer.address, payee.address)).to.equal(5n * E18)
  })

  it('pays only the difference for a newer receipt, and a relayer may submit it', async () => {
    const [payer, payee, relayer] = [fx.payers[0]!, fx.payees[0]!, fx.payees[1]!]
    await deposit(fx, payer, 100n * E18)
    const r1 = receipt(payer, payee, 100n, 3n * E18)
    await send(escrowAs(fx, relayer), 'settle', r1, await signReceipt(fx, payer, r1))
    const r2 = receipt(payer, payee, 200n, 7n * E18)
    const tx = await send(escrowAs(fx, relayer), 'settle', r2, await signReceipt(fx, payer, r2))
    expect(await transfersIn(fx, tx)).to.deep.equal([{ from: fx.escrowAddress, to: payee.address, value: 4n * E18 }])
  })

  it('accepts a 64-byte EIP-2098 compact signature', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    const r = receipt(payer, payee, 1n, E18)
    await send(escrowAs(fx, payee), 'settle', r, compact(await signReceipt(fx, payer, r)))
    expect(await fx.escrow.getFunction('paidOut')(payer.address, payee.address)).to.equal(E18)
  })

  it('reverts with NothingToSettle for a stale or replayed receipt, which pays nothing', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    const r2 = receipt(payer, payee, 2n, 2n * E18)
    const r1 = receipt(payer, payee, 1n, E18)
    const sig1 = await signReceipt(fx, payer, r1)
    await send(escrowAs(fx, payee), 'settle', r2, await signReceipt(fx, payer, r2))
    await expectRevert(escrowAs(fx, payee).getFunction('settle')(r1, sig1), fx.escrow.interface, 'NothingToSettle',
      [payer.address, payee.address, E18, 2n * E18])
    await expectRevert(escrowAs(fx, payee).getFunction('settle')(r2, await signReceipt(fx, payer, r2)), fx.escrow.interface,
      'NothingToSettle', [payer.address, payee.address, 2n * E18, 2n * E18])
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(8n * E18)
  })

  it('reverts with InvalidSigner when signed for another escrow', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    const other = await deployEscrow(fx)
    const r = receipt(payer, payee, 1n, E18)
    const sig = await signReceipt(fx, payer, r, { escrow: await other.getAddress() })
    await expectRevert(escrowAs(fx, payee).getFunction('settle')(r, sig), fx.escrow.interface, 'InvalidSigner')
  })

  it('reverts with InvalidSigner when signed for another chain id (mainnet instead of Nile)', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    const r = receipt(payer, payee, 1n, E18)
    const sig = await signReceipt(fx, payer, r, { chainId: 728126428n })
    await expectRevert(escrowAs(fx, payee).getFunction('settle')(r, sig), fx.escrow.interface, 'InvalidSigner')
  })

  it('reverts with InvalidSigner for a receipt signed by a stranger or with an altered amount', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    const r = receipt(payer, payee, 1n, E18)
    const forged = await signReceipt(fx, fx.payers[1]!, r)
    await expectRevert(escrowAs(fx, payee).getFunction('settle')(r, forged), fx.escrow.interface, 'InvalidSigner',
      [payer.address, fx.payers[1]!.address])
    const sig = await signReceipt(fx, payer, r)
    await expectRevert(escrowAs(fx, payee).getFunction('settle')({ ...r, cumulativeAmount: 2n * E18 }, sig),
      fx.escrow.interface, 'InvalidSigner')
  })

  it('reverts with InvalidSignatureLength for a signature that is neither 64 nor 65 bytes', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    const r = receipt(payer, payee, 1n, E18)
    const sig = await signReceipt(fx, payer, r)
    await expectRevert(escrowAs(fx, payee).getFunction('settle')(r, sig.slice(0, 2 + 63 * 2)), fx.escrow.interface,
      'InvalidSignatureLength', [63n])
    await expectRevert(escrowAs(fx, payee).getFunction('settle')(r, '0x'), fx.escrow.interface, 'InvalidSignatureLength', [0n])
  })

  it('reverts with SignatureMalleable for a high-s signature', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    const r = receipt(payer, payee, 1n, E18)
    const sig = Signature.from(await signReceipt(fx, payer, r))
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const highS = toBeHex(n - BigInt(sig.s), 32)
    const flipped = sig.r + highS.slice(2) + (sig.v === 27 ? '1c' : '1b')
    await expectRevert(escrowAs(fx, payee).getFunction('settle')(r, flipped), fx.escrow.interface, 'SignatureMalleable', [highS])
  })

  it('reverts with ZeroAddress and SelfPayment for receipts naming no one or the payer itself', async () => {
    const payer = fx.payers[0]!
    const zero = { payer: '0x' + '00'.repeat(20), payee: payer.address, cumulativeBytes: 1n, cumulativeAmount: 1n }
    await expectRevert(escrowAs(fx, payer).getFunction('settle')(zero, '0x' + '11'.repeat(65)), fx.escrow.interface, 'ZeroAddress')
    const self = receipt(payer, payer, 1n, 1n)
    await expectRevert(escrowAs(fx, payer).getFunction('settle')(self, await signReceipt(fx, payer, self)),
      fx.escrow.interface, 'SelfPayment', [payer.address])
  })

  it('pays in part and emits Bounced when underfunded, then pays the rest after a new deposit', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 3n * E18)
    const r = receipt(payer, payee, 10n, 5n * E18)
    const sig = await signReceipt(fx, payer, r)
    const tx = await send(escrowAs(fx, payee), 'settle', r, sig)
    expect(escrowEvents(fx, tx)).to.deep.equal([
      { name: 'Settled', args: [payer.address, payee.address, 3n * E18, 10n, 5n * E18] },
      { name: 'Bounced', args: [payer.address, payee.address, 2n * E18] }
    ])
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(0n)
    await deposit(fx, payer, 10n * E18)
    const tx2 = await send(escrowAs(fx, payee), 'settle', r, sig)
    expect(await transfersIn(fx, tx2)).to.deep.equal([{ from: fx.escrowAddress, to: payee.address, value: 2n * E18 }])
    expect(await fx.escrow.getFunction('paidOut')(payer.address, payee.address)).to.equal(5n * E18)
  })

  it('pays nothing and emits only Bounced when the payer has no balance', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    const r = receipt(payer, payee, 10n, E18)
    const tx = await send(escrowAs(fx, payee), 'settle', r, await signReceipt(fx, payer, r))
    expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'Bounced', args: [payer.address, payee.address, E18] }])
    expect(await transfersIn(fx, tx)).to.deep.equal([])
  })

  it('keeps balances above 2^96 exact across deposits and settlements', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    const big = (1n << 96n) + 12345n
    await mintAsset(fx, payer, 3n * big)
    await deposit(fx, payer, big)
    await deposit(fx, payer, big)
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(2n * big)
    const r = receipt(payer, payee, 1n, big + 7n)
    await send(escrowAs(fx, payee), 'settle', r, await signReceipt(fx, payer, r))
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(big - 7n)
    const r2 = receipt(payer, payee, 2n, 2n * big + 1n)
    const tx = await send(escrowAs(fx, payee), 'settle', r2, await signReceipt(fx, payer, r2))
    expect(escrowEvents(fx, tx)[1]).to.deep.equal({ name: 'Bounced', args: [payer.address, payee.address, 1n] })
    expect(await fx.escrow.getFunction('balanceOf')(payer.address)).to.equal(0n)
    expect(await escrowHolds(fx)).to.equal(0n)
  })
})
