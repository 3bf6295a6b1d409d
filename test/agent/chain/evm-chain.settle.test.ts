import { expect } from 'chai'
import { Contract, Signature } from 'ethers'
import { escrowInterface } from '../../../agent/chain/abi.ts'
import { useChainFixture, fund, signReceipt, E18 } from './fixture.ts'
import { isEscrowRevert, BatchPayeeMismatchError, type EscrowRevertError } from '../../../agent/chain/errors.ts'
import { BATCH_ENTRY_SIZE, MAX_BATCH_SIZE, RESERVE_ENTRY_SIZE } from '../../../agent/chain/batch-encoding.ts'
import { receiptDigest, type Receipt } from '../../../agent/pay/receipt.ts'
import type { EscrowEvent, SignedReceipt } from '../../../agent/chain/client.ts'

type Of<N extends EscrowEvent['name']> = Extract<EscrowEvent, { name: N }>
function all<N extends EscrowEvent['name']> (events: EscrowEvent[], name: N): Array<Of<N>> {
  return events.filter(e => e.name === name) as Array<Of<N>>
}

describe('EvmChain: settlement', function () {
  const fx = useChainFixture()
  const payerIx = [1, 2, 3]
  const payeeIx = 5

  beforeEach(async () => {
    for (const i of payerIx) await fund(fx.clients[i]!, 100n * E18)
  })

  function receipt (payer: number, bytes: bigint, amount: bigint, payee = payeeIx): Receipt {
    return { payer: fx.wallets[payer]!.address, payee: fx.wallets[payee]!.address, cumulativeBytes: bytes, cumulativeAmount: amount }
  }

  async function signed (payer: number, bytes: bigint, amount: bigint): Promise<SignedReceipt> {
    const r = receipt(payer, bytes, amount)
    return { receipt: r, signature: await signReceipt(fx, fx.wallets[payer]!, r) }
  }

  it('the contract\'s hashReceipt equals receiptDigest, and the batch constants match', async () => {
    const r = receipt(1, 123_456n, 7n * E18)
    expect(await fx.readOnly.hashReceipt(r)).to.equal(receiptDigest({ chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex }, r))
    const escrow = new Contract(fx.deployment.escrow.hex, escrowInterface(), fx.provider)
    expect(await escrow.getFunction('BATCH_ENTRY_SIZE')()).to.equal(BigInt(BATCH_ENTRY_SIZE))
    expect(await escrow.getFunction('MAX_BATCH_SIZE')()).to.equal(BigInt(MAX_BATCH_SIZE))
    expect(await escrow.getFunction('RESERVE_ENTRY_SIZE')()).to.equal(BigInt(RESERVE_ENTRY_SIZE))
  })

  it('settles one receipt (any caller), pays the payee and logs Settled', async () => {
    const s = await signed(1, 1_000_000n, 3n * E18)
    const relayer = fx.clients[0]!
    const res = await relayer.settle(s.receipt, s.signature)
    const [ev] = all(res.events, 'Settled')
    expect(ev).to.include({ payer: s.receipt.payer, payee: s.receipt.payee, paid: 3n * E18, cumulativeBytes: 1_000_000n, cumulativeAmount: 3n * E18 })
    expect(ev?.batchIndex).to.equal(undefined)
    expect(await fx.readOnly.paidOut(s.receipt.payer, s.receipt.payee)).to.equal(3n * E18)
    expect(await fx.readOnly.tokenBalanceOf(s.receipt.payee)).to.equal(3n * E18)
  })

  it('accepts a 64-byte compact signature in settle', async () => {
    const s = await signed(1, 10n, E18)
    const res = await fx.clients[payeeIx]!.settle(s.receipt, Signature.from(s.signature).compactSerialized)
    expect(all(res.events, 'Settled')[0]?.paid).to.equal(E18)
  })

  it('replaying a settled receipt reverts with NothingToSettle carrying the pair and amounts', async () => {
    const s = await signed(1, 10n, E18)
    await fx.clients[payeeIx]!.settle(s.receipt, s.signature)
    const err = await fx.clients[payeeIx]!.settle(s.receipt, s.signature).catch((e: unknown) => e)
    expect(isEscrowRevert(err, 'NothingToSettle')).to.equal(true)
    expect((err as EscrowRevertError<'NothingToSettle'>).args).to.deep.equal({ payer: s.receipt.payer, payee: s.receipt.payee, cumulativeAmount: E18, paidOut: E18 })
  })

  it('a settlement estimated before another paid the same receipt reverts when mined: NothingToSettle, replayed, with its tx id', async () => {
    const s = await signed(1, 10n, E18)
    await fx.provider.send('evm_setAutomine', [false])
    try {
      const first = fx.clients[0]!.settle(s.receipt, s.signature)
      const second = fx.clients[payeeIx]!.settle(s.receipt, s.signature).catch((e: unknown) => e)
      // both estimated against the same state and sent; one block mines them, the second one reverts in it
      for (let i = 0; i < 200; i++) {
        const status = await fx.provider.send('txpool_status', []) as { pending: string }
        if (Number(status.pending) >= 2) break
        await new Promise(resolve => setTimeout(resolve, 10))
      }
      await fx.provider.send('evm_mine', [])
      expect(all((await first).events, 'Settled')[0]?.paid).to.equal(E18)
      const err = await second
      expect(isEscrowRevert(err, 'NothingToSettle')).to.equal(true)
      expect((err as EscrowRevertError<'NothingToSettle'>).txId).to.match(/^0x[0-9a-f]{64}$/)
    } finally {
      await fx.provider.send('evm_setAutomine', [true])
    }
  })

  it('a receipt signed by someone else reverts with InvalidSigner naming the recovered key', async () => {
    const r = receipt(1, 10n, E18)
    const sig = await signReceipt(fx, fx.wallets[4]!, r)
    const err = await fx.clients[payeeIx]!.settle(r, sig).catch((e: unknown) => e)
    expect(isEscrowRevert(err, 'InvalidSigner')).to.equal(true)
    expect((err as EscrowRevertError<'InvalidSigner'>).args).to.deep.equal({ payer: r.payer, recovered: fx.wallets[4]!.address })
  })

  it('a receipt signed by the payer\'s hot key settles after setSigner', async () => {
    const hot = fx.wallets[8]!
    await fx.clients[1]!.setSigner(hot.address)
    const r = receipt(1, 10n, E18)
    const res = await fx.clients[payeeIx]!.settle(r, await signReceipt(fx, hot, r))
    expect(all(res.events, 'Settled')).to.have.length(1)
  })

  it('an underfunded receipt pays the balance and logs Bounced with the rest', async () => {
    const s = await signed(1, 10n, 130n * E18)
    const res = await fx.clients[payeeIx]!.settle(s.receipt, s.signature)
    expect(all(res.events, 'Settled')[0]?.paid).to.equal(100n * E18)
    expect(all(res.events, 'Bounced')[0]).to.include({ payer: s.receipt.payer, payee: s.receipt.payee, unpaid: 30n * E18 })
  })

  it('settles a batch in one transaction and expands BatchSettled into per-entry Settled records', async () => {
    const entries = [await signed(1, 100n, 2n * E18), await signed(2, 200n, 3n * E18), await signed(3, 300n, 4n * E18)]
    const res = await fx.clients[payeeIx]!.settleBatch(fx.wallets[payeeIx]!.address, entries)
    const [summary] = all(res.events, 'BatchSettled')
    expect(summary).to.include({ payee: fx.wallets[payeeIx]!.address, totalPaid: 9n * E18, skipped: 0n, settledCount: 3 })
    const settled = all(res.events, 'Settled')
    expect(settled.map(e => [e.payer, e.paid, e.cumulativeBytes, e.cumulativeAmount, e.batchIndex])).to.deep.equal([
      [fx.wallets[1]!.address, 2n * E18, 100n, 2n * E18, 0],
      [fx.wallets[2]!.address, 3n * E18, 200n, 3n * E18, 1],
      [fx.wallets[3]!.address, 4n * E18, 300n, 4n * E18, 2]
    ])
    expect(await fx.readOnly.tokenBalanceOf(fx.wallets[payeeIx]!.address)).to.equal(9n * E18)
  })

  it('a batch skips stale and wrongly signed entries and pays the partial difference of a newer receipt', async () => {
    const first = await signed(1, 100n, 2n * E18)
    await fx.clients[payeeIx]!.settle(first.receipt, first.signature)
    const newer = await signed(1, 150n, 5n * E18)
    const forged = { receipt: receipt(2, 1n, E18), signature: await signReceipt(fx, fx.wallets[9]!, receipt(2, 1n, E18)) }
    const res = await fx.clients[payeeIx]!.settleBatch(fx.wallets[payeeIx]!.address, [first, forged, newer])
    expect(all(res.events, 'BatchSettled')[0]).to.include({ totalPaid: 3n * E18, skipped: 2n, settledCount: 1 })
    expect(all(res.events, 'Settled')[0]).to.include({ paid: 3n * E18, cumulativeAmount: 5n * E18, cumulativeBytes: 150n, batchIndex: 0 })
  })

  it('refuses a batch entry for another payee before sending anything', async () => {
    const other = receipt(1, 1n, 1n, 6)
    const entries = [await signed(1, 1n, 1n), { receipt: other, signature: await signReceipt(fx, fx.wallets[1]!, other) }]
    const before = await fx.provider.getBlockNumber()
    const err = await fx.clients[payeeIx]!.settleBatch(fx.wallets[payeeIx]!.address, entries).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(BatchPayeeMismatchError)
    expect((err as BatchPayeeMismatchError).index).to.equal(1)
    expect(await fx.provider.getBlockNumber()).to.equal(before)
  })

  it('eventsSince rebuilds every pair\'s bytes and payouts from single and batch settlements', async () => {
    const from = fx.deployment.escrowBlock!
    const payee = fx.clients[payeeIx]!
    const a = await signed(1, 100n, E18)
    await payee.settle(a.receipt, a.signature)
    await payee.settleBatch(fx.wallets[payeeIx]!.address, [await signed(1, 300n, 4n * E18), await signed(2, 50n, 200n * E18)])
    const page = await fx.readOnly.eventsSince(from)
    expect(page.toBlock).to.equal(await fx.provider.getBlockNumber())
    const pairs = new Map<string, { paid: bigint, bytes: bigint, bounced: bigint }>()
    for (const e of page.events) {
      if (e.name !== 'Settled' && e.name !== 'Bounced') continue
      const key = `${e.payer}>${e.payee}`
      const p = pairs.get(key) ?? { paid: 0n, bytes: 0n, bounced: 0n }
      if (e.name === 'Settled') { p.paid += e.paid; p.bytes = e.cumulativeBytes } else p.bounced += e.unpaid
      pairs.set(key, p)
    }
    const payeeAddr = fx.wallets[payeeIx]!.address
    expect(pairs.get(`${fx.wallets[1]!.address}>${payeeAddr}`)).to.deep.equal({ paid: 4n * E18, bytes: 300n, bounced: 0n })
    expect(pairs.get(`${fx.wallets[2]!.address}>${payeeAddr}`)).to.deep.equal({ paid: 100n * E18, bytes: 50n, bounced: 100n * E18 })
    for (const [key, p] of pairs) {
      const [payer, pe] = key.split('>') as [string, string]
      expect(await fx.readOnly.paidOut(payer, pe)).to.equal(p.paid)
    }
    // Deposits from the fixture are there too, in block order.
    expect(page.events.filter(e => e.name === 'Deposited')).to.have.length(3)
    const blocks = page.events.map(e => e.blockNumber)
    expect(blocks).to.deep.equal([...blocks].sort((x, y) => x - y))
    const empty = await fx.readOnly.eventsSince(page.toBlock + 1)
    expect(empty).to.deep.equal({ events: [], toBlock: page.toBlock })
  })
})
