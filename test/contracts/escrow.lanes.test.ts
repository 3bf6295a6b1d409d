import { expect } from 'chai'
import { toBeHex } from 'ethers'
import {
  useEscrowFixture, receiptOf, escrowAs, send, deposit, signReceipt, expectRevert, escrowEvents, transfersIn, increaseTime,
  batchEntry, packBatch, reserveEntries, laneOf, escrowStorageTouched, DELAY, E18
} from './fixture.ts'
import { ESCROW_KINDS, escrowContract, escrowHolds, mintAsset, assetBalance } from './fixture.ts'

const UINT128_MAX = (1n << 128n) - 1n

for (const kind of ESCROW_KINDS) describe(`${escrowContract(kind)} lanes`, () => {
  const fx = useEscrowFixture({ kind })
  const receipt = receiptOf

  const free = async (i: number): Promise<bigint> => await fx.escrow.getFunction('balanceOf')(fx.payers[i]!.address) as bigint
  const escrowTokens = async (): Promise<bigint> => await escrowHolds(fx)
  const releaseOf = async (i: number, payee: number): Promise<[bigint, bigint]> =>
    [...await fx.escrow.getFunction('releaseOf')(fx.payers[i]!.address, fx.payees[payee]!.address) as [bigint, bigint]] as [bigint, bigint]

  async function reserve (i: number, entries: Array<[payee: number, amount: bigint]>): Promise<import('ethers').TransactionReceipt> {
    return await send(escrowAs(fx, fx.payers[i]!), 'reserve', reserveEntries(entries.map(([p, a]) => [fx.payees[p]!.address, a])))
  }

  async function settle (payer: number, payee: number, bytes: bigint, amount: bigint): Promise<import('ethers').TransactionReceipt> {
    const r = receipt(fx.payers[payer]!, fx.payees[payee]!, bytes, amount)
    return await send(escrowAs(fx, fx.payees[payee]!), 'settle', r, await signReceipt(fx, fx.payers[payer]!, r))
  }

  describe('reserve', () => {
    it('moves free balance into lanes for several payees in one call, one LaneReserved per entry, no token transfer', async () => {
      const payer = fx.payers[0]!
      await deposit(fx, payer, 10n * E18)
      expect(await fx.escrow.getFunction('RESERVE_ENTRY_SIZE')()).to.equal(36n)
      const tx = await reserve(0, [[0, 3n * E18], [1, 2n * E18], [0, E18]])
      expect(escrowEvents(fx, tx)).to.deep.equal([
        { name: 'LaneReserved', args: [payer.address, fx.payees[0]!.address, 3n * E18, 3n * E18] },
        { name: 'LaneReserved', args: [payer.address, fx.payees[1]!.address, 2n * E18, 2n * E18] },
        { name: 'LaneReserved', args: [payer.address, fx.payees[0]!.address, E18, 4n * E18] }
      ])
      expect(await transfersIn(fx, tx)).to.deep.equal([])
      expect(await laneOf(fx, payer, fx.payees[0]!)).to.deep.equal([4n * E18, 0n])
      expect(await laneOf(fx, payer, fx.payees[1]!)).to.deep.equal([2n * E18, 0n])
      expect(await free(0)).to.equal(4n * E18)
      expect(await escrowTokens()).to.equal(10n * E18)
    })

    it('reverts with EmptyBatch, MalformedBatch and BatchTooLarge for bad calldata', async () => {
      const as = escrowAs(fx, fx.payers[0]!)
      await deposit(fx, fx.payers[0]!, E18)
      await expectRevert(as.getFunction('reserve')('0x'), fx.escrow.interface, 'EmptyBatch')
      const one = reserveEntries([[fx.payees[0]!.address, 1n]])
      await expectRevert(as.getFunction('reserve')(one.slice(0, -2)), fx.escrow.interface, 'MalformedBatch', [35n])
      const tooMany = packBatch(Array.from({ length: 257 }, () => one))
      await expectRevert(as.getFunction('reserve')(tooMany), fx.escrow.interface, 'BatchTooLarge', [257n, 256n])
    })

    it('reverts with ZeroAddress, SelfPayment and ZeroAmount for an entry naming no one, the payer, or nothing', async () => {
      const payer = fx.payers[0]!
      const as = escrowAs(fx, payer)
      await deposit(fx, payer, E18)
      const ok: [string, bigint] = [fx.payees[0]!.address, 1n]
      await expectRevert(as.getFunction('reserve')(reserveEntries([ok, ['0x' + '00'.repeat(20), 1n]])), fx.escrow.interface, 'ZeroAddress')
      await expectRevert(as.getFunction('reserve')(reserveEntries([ok, [payer.address, 1n]])), fx.escrow.interface, 'SelfPayment', [payer.address])
      await expectRevert(as.getFunction('reserve')(reserveEntries([ok, [fx.payees[1]!.address, 0n]])), fx.escrow.interface, 'ZeroAmount')
      expect(await laneOf(fx, payer, fx.payees[0]!)).to.deep.equal([0n, 0n])
    })

    it('reverts with InsufficientBalance naming the total when the entries together exceed the free balance', async () => {
      const payer = fx.payers[0]!
      await deposit(fx, payer, 5n * E18)
      await reserve(0, [[0, 2n * E18]])
      await expectRevert(escrowAs(fx, payer).getFunction('reserve')(reserveEntries([[fx.payees[0]!.address, 2n * E18], [fx.payees[1]!.address, 2n * E18]])),
        fx.escrow.interface, 'InsufficientBalance', [payer.address, 3n * E18, 4n * E18])
      expect(await laneOf(fx, payer, fx.payees[0]!)).to.deep.equal([2n * E18, 0n])
      expect(await free(0)).to.equal(3n * E18)
    })

    it('reverts with LaneOverflow when a lane would exceed 2^128 - 1', async () => {
      const payer = fx.payers[0]!
      const payee = fx.payees[0]!
      await mintAsset(fx, payer, 2n ** 129n)
      await deposit(fx, payer, UINT128_MAX + 5n)
      await reserve(0, [[0, UINT128_MAX - 1n]])
      await expectRevert(escrowAs(fx, payer).getFunction('reserve')(reserveEntries([[payee.address, 2n]])), fx.escrow.interface,
        'LaneOverflow', [payer.address, payee.address, UINT128_MAX - 1n, 2n])
      await reserve(0, [[0, 1n]])
      expect(await laneOf(fx, payer, payee)).to.deep.equal([UINT128_MAX, 0n])
    })
  })

  describe('settlement', () => {
    it('takes from the lane first, then from the free balance; events unchanged', async () => {
      const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
      await deposit(fx, payer, 10n * E18)
      await reserve(0, [[0, 3n * E18]])
      const tx = await settle(0, 0, 100n, 5n * E18)
      expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'Settled', args: [payer.address, payee.address, 5n * E18, 100n, 5n * E18] }])
      expect(await transfersIn(fx, tx)).to.deep.equal([{ from: fx.escrowAddress, to: payee.address, value: 5n * E18 }])
      expect(await laneOf(fx, payer, payee)).to.deep.equal([0n, 5n * E18])
      expect(await free(0)).to.equal(5n * E18)
    })

    it('a receipt its lane covers leaves the free balance alone, and reads and writes only the pair slot', async () => {
      const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
      await deposit(fx, payer, 10n * E18)
      await reserve(0, [[0, 4n * E18]])
      await settle(0, 0, 1n, E18) // the pair exists now; what follows is the known-pair case
      const tx = await settle(0, 0, 2n, 3n * E18)
      expect(await laneOf(fx, payer, payee)).to.deep.equal([E18, 3n * E18])
      expect(await free(0)).to.equal(6n * E18)
      const touched = await escrowStorageTouched(fx, tx.hash)
      // lane 1e18 in the high half, paidOut 3e18 in the low half: Pair { uint128 paidOut; uint128 lane }
      expect(Object.values(touched.written)).to.deep.equal([toBeHex((E18 << 128n) | (3n * E18), 32)])
      expect(touched.read).to.deep.equal(Object.keys(touched.written))
    })

    it('in a batch, a lane-covered entry writes only its pair slot; an entry its lane cannot cover takes the rest from free', async () => {
      const [a, b, payee] = [fx.payers[0]!, fx.payers[1]!, fx.payees[0]!]
      await deposit(fx, a, 10n * E18)
      await deposit(fx, b, 10n * E18)
      await reserve(0, [[0, 5n * E18]])
      await reserve(1, [[0, E18]])
      const ra = receipt(a, payee, 10n, 2n * E18)
      const rb = receipt(b, payee, 20n, 3n * E18)
      const tx = await send(escrowAs(fx, payee), 'settleBatch', payee.address,
        packBatch([batchEntry(ra, await signReceipt(fx, a, ra)), batchEntry(rb, await signReceipt(fx, b, rb))]))
      expect(await transfersIn(fx, tx)).to.deep.equal([{ from: fx.escrowAddress, to: payee.address, value: 5n * E18 }])
      expect(await laneOf(fx, a, payee)).to.deep.equal([3n * E18, 2n * E18])
      expect(await laneOf(fx, b, payee)).to.deep.equal([0n, 3n * E18])
      expect([await free(0), await free(1)]).to.deep.equal([5n * E18, 7n * E18])
      const touched = await escrowStorageTouched(fx, tx.hash)
      // a: its pair slot only; b: its pair slot and its account slot (balance 9e18 → 7e18).
      expect(Object.keys(touched.written)).to.have.length(3)
      expect(Object.values(touched.written)).to.include(toBeHex((3n * E18 << 128n) | (2n * E18), 32))
    })

    it('a lane-covered receipt signed by a delegated signer reads the account slot for the signer but never writes it', async () => {
      const [payer, payee, hot] = [fx.payers[0]!, fx.payees[0]!, fx.payers[3]!]
      await deposit(fx, payer, 10n * E18)
      await send(escrowAs(fx, payer), 'setSigner', hot.address)
      await reserve(0, [[0, 4n * E18]])
      const r = receipt(payer, payee, 10n, 3n * E18)
      const tx = await send(escrowAs(fx, payee), 'settleBatch', payee.address, packBatch([batchEntry(r, await signReceipt(fx, hot, r))]))
      expect(await transfersIn(fx, tx)).to.deep.equal([{ from: fx.escrowAddress, to: payee.address, value: 3n * E18 }])
      const touched = await escrowStorageTouched(fx, tx.hash)
      expect(Object.values(touched.written)).to.deep.equal([toBeHex((E18 << 128n) | (3n * E18), 32)])
      expect(touched.read).to.have.length(2)
      expect(await free(0)).to.equal(6n * E18)
    })

    it('pays lane plus free balance and bounces the rest when both together fall short', async () => {
      const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
      await deposit(fx, payer, 3n * E18)
      await reserve(0, [[0, 2n * E18]])
      const tx = await settle(0, 0, 10n, 5n * E18)
      expect(escrowEvents(fx, tx)).to.deep.equal([
        { name: 'Settled', args: [payer.address, payee.address, 3n * E18, 10n, 5n * E18] },
        { name: 'Bounced', args: [payer.address, payee.address, 2n * E18] }
      ])
      expect(await laneOf(fx, payer, payee)).to.deep.equal([0n, 3n * E18])
      expect(await free(0)).to.equal(0n)
    })

    it('a lane backs only its payee: a receipt to another payee cannot take it', async () => {
      const [payer, payee, other] = [fx.payers[0]!, fx.payees[0]!, fx.payees[1]!]
      await deposit(fx, payer, 5n * E18)
      await reserve(0, [[0, 5n * E18]])
      const tx = await settle(0, 1, 1n, 3n * E18)
      expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'Bounced', args: [payer.address, other.address, 3n * E18] }])
      expect(await transfersIn(fx, tx)).to.deep.equal([])
      const rb = receipt(payer, other, 2n, 3n * E18)
      const batch = await send(escrowAs(fx, other), 'settleBatch', other.address, packBatch([batchEntry(rb, await signReceipt(fx, payer, rb))]))
      expect(await transfersIn(fx, batch)).to.deep.equal([])
      expect(await laneOf(fx, payer, payee)).to.deep.equal([5n * E18, 0n])
      expect(await laneOf(fx, payer, other)).to.deep.equal([0n, 0n])
    })

    it('drain to a second account: the payer empties its free balance to an account it owns, the lane stays for the honest payee', async () => {
      const payer = fx.payers[0]!
      const second = fx.payers[1]! // an account the payer owns, used as a payee
      const honest = fx.payees[0]!
      await deposit(fx, payer, 10n * E18)
      await reserve(0, [[0, 6n * E18]])
      const secondBefore = await assetBalance(fx, second.address)
      // The payer signs a receipt to itself-by-another-name for everything it has, and settles it at once.
      const drain = receipt(payer, second, 1n, 10n * E18)
      const tx = await send(escrowAs(fx, second), 'settle', drain, await signReceipt(fx, payer, drain))
      expect(escrowEvents(fx, tx)).to.deep.equal([
        { name: 'Settled', args: [payer.address, second.address, 4n * E18, 1n, 10n * E18] },
        { name: 'Bounced', args: [payer.address, second.address, 6n * E18] }
      ])
      expect(await assetBalance(fx, second.address)).to.equal(secondBefore + 4n * E18)
      expect(await free(0)).to.equal(0n)
      expect(await laneOf(fx, payer, honest)).to.deep.equal([6n * E18, 0n])
      // The honest payee's receipt for what it served is paid in full from the lane.
      const paid = await settle(0, 0, 1n << 20n, 6n * E18)
      expect(await transfersIn(fx, paid)).to.deep.equal([{ from: fx.escrowAddress, to: honest.address, value: 6n * E18 }])
      expect(await laneOf(fx, payer, honest)).to.deep.equal([0n, 6n * E18])
      expect(await escrowTokens()).to.equal(0n)
    })

    it('reverts with AmountTooLarge for a receipt above 2^128 - 1', async () => {
      const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
      const r = receipt(payer, payee, 1n, UINT128_MAX + 1n)
      await expectRevert(escrowAs(fx, payee).getFunction('settle')(r, await signReceipt(fx, payer, r)), fx.escrow.interface,
        'AmountTooLarge', [UINT128_MAX + 1n])
    })
  })

  describe('release', () => {
    it('request, locked, delay passes, release: min(requested, lane) goes back to the free balance', async () => {
      const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
      await deposit(fx, payer, 10n * E18)
      await reserve(0, [[0, 6n * E18]])
      const req = await send(escrowAs(fx, payer), 'requestRelease', payee.address, 4n * E18)
      const unlockAt = BigInt((await fx.provider.getBlock(req.blockNumber))!.timestamp) + DELAY
      expect(escrowEvents(fx, req)).to.deep.equal([{ name: 'LaneReleaseRequested', args: [payer.address, payee.address, 4n * E18, unlockAt] }])
      expect(await releaseOf(0, 0)).to.deep.equal([4n * E18, unlockAt])
      await expectRevert(escrowAs(fx, payer).getFunction('release')(payee.address), fx.escrow.interface, 'ReleaseLocked')
      // The lane still backs the payee during the delay: it settles 3 of the 4 requested.
      await settle(0, 0, 1n, 5n * E18)
      expect(await laneOf(fx, payer, payee)).to.deep.equal([E18, 5n * E18])
      await increaseTime(fx, DELAY)
      const out = await send(escrowAs(fx, payer), 'release', payee.address)
      expect(escrowEvents(fx, out)).to.deep.equal([{ name: 'LaneReleased', args: [payer.address, payee.address, E18] }])
      expect(await transfersIn(fx, out)).to.deep.equal([])
      expect(await laneOf(fx, payer, payee)).to.deep.equal([0n, 5n * E18])
      expect(await free(0)).to.equal(5n * E18)
      expect(await releaseOf(0, 0)).to.deep.equal([0n, 0n])
      await expectRevert(escrowAs(fx, payer).getFunction('release')(payee.address), fx.escrow.interface, 'NoReleasePending', [payer.address, payee.address])
    })

    it('reverts with ReleaseLocked carrying unlockAt and now; a new request restarts the clock', async () => {
      const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
      await deposit(fx, payer, 10n * E18)
      await reserve(0, [[0, 6n * E18]])
      await send(escrowAs(fx, payer), 'requestRelease', payee.address, E18)
      await increaseTime(fx, DELAY - 10n)
      const again = await send(escrowAs(fx, payer), 'requestRelease', payee.address, 2n * E18)
      const unlockAt = BigInt((await fx.provider.getBlock(again.blockNumber))!.timestamp) + DELAY
      await increaseTime(fx, 20n)
      const now = BigInt((await fx.provider.getBlock('latest'))!.timestamp) + 1n
      await fx.provider.send('evm_setNextBlockTimestamp', [Number(now)])
      await expectRevert(escrowAs(fx, payer).getFunction('release')(payee.address), fx.escrow.interface, 'ReleaseLocked',
        [payer.address, payee.address, unlockAt, now])
      await fx.provider.send('evm_mine', []) // uses up the timestamp set for the simulated call
      await increaseTime(fx, DELAY)
      await send(escrowAs(fx, payer), 'release', payee.address)
      expect(await laneOf(fx, payer, payee)).to.deep.equal([4n * E18, 0n])
    })

    it('reverts with ReleaseExpired after the window; a fresh request works', async () => {
      const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
      await deposit(fx, payer, 10n * E18)
      await reserve(0, [[0, 6n * E18]])
      const req = await send(escrowAs(fx, payer), 'requestRelease', payee.address, 2n * E18)
      const unlockAt = BigInt((await fx.provider.getBlock(req.blockNumber))!.timestamp) + DELAY
      expect(await fx.escrow.getFunction('withdrawalWindow')()).to.equal(DELAY)
      const expiredAt = unlockAt + DELAY
      await fx.provider.send('evm_setNextBlockTimestamp', [Number(expiredAt)])
      await expectRevert(escrowAs(fx, payer).getFunction('release')(payee.address), fx.escrow.interface, 'ReleaseExpired',
        [payer.address, payee.address, expiredAt, expiredAt])
      await send(escrowAs(fx, payer), 'requestRelease', payee.address, 2n * E18)
      await increaseTime(fx, DELAY)
      await send(escrowAs(fx, payer), 'release', payee.address)
      expect(await laneOf(fx, payer, payee)).to.deep.equal([4n * E18, 0n])
      expect(await free(0)).to.equal(6n * E18)
    })

    it('still releases in the last second of the window', async () => {
      const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
      await deposit(fx, payer, 10n * E18)
      await reserve(0, [[0, 6n * E18]])
      const req = await send(escrowAs(fx, payer), 'requestRelease', payee.address, 2n * E18)
      const unlockAt = BigInt((await fx.provider.getBlock(req.blockNumber))!.timestamp) + DELAY
      await fx.provider.send('evm_setNextBlockTimestamp', [Number(unlockAt + DELAY - 1n)])
      const out = await send(escrowAs(fx, payer), 'release', payee.address)
      expect(escrowEvents(fx, out)).to.deep.equal([{ name: 'LaneReleased', args: [payer.address, payee.address, 2n * E18] }])
    })

    it('cancelRelease drops the request; with none pending it reverts with NoReleasePending', async () => {
      const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
      await deposit(fx, payer, 10n * E18)
      await reserve(0, [[0, 6n * E18]])
      await send(escrowAs(fx, payer), 'requestRelease', payee.address, E18)
      const tx = await send(escrowAs(fx, payer), 'cancelRelease', payee.address)
      expect(escrowEvents(fx, tx)).to.deep.equal([{ name: 'LaneReleaseCancelled', args: [payer.address, payee.address] }])
      expect(await releaseOf(0, 0)).to.deep.equal([0n, 0n])
      await increaseTime(fx, DELAY)
      await expectRevert(escrowAs(fx, payer).getFunction('release')(payee.address), fx.escrow.interface, 'NoReleasePending', [payer.address, payee.address])
      await expectRevert(escrowAs(fx, payer).getFunction('cancelRelease')(payee.address), fx.escrow.interface, 'NoReleasePending', [payer.address, payee.address])
    })

    it('requestRelease reverts with ZeroAmount and InsufficientLane', async () => {
      const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
      await deposit(fx, payer, 10n * E18)
      await reserve(0, [[0, 6n * E18]])
      await expectRevert(escrowAs(fx, payer).getFunction('requestRelease')(payee.address, 0n), fx.escrow.interface, 'ZeroAmount')
      await expectRevert(escrowAs(fx, payer).getFunction('requestRelease')(payee.address, 7n * E18), fx.escrow.interface,
        'InsufficientLane', [payer.address, payee.address, 6n * E18, 7n * E18])
      await expectRevert(escrowAs(fx, payer).getFunction('requestRelease')(fx.payees[1]!.address, 1n), fx.escrow.interface,
        'InsufficientLane', [payer.address, fx.payees[1]!.address, 0n, 1n])
    })

    it('releases nothing, and clears the request, when the payee settled the whole lane meanwhile', async () => {
      const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
      await deposit(fx, payer, 2n * E18)
      await reserve(0, [[0, 2n * E18]])
      await send(escrowAs(fx, payer), 'requestRelease', payee.address, 2n * E18)
      await settle(0, 0, 1n, 2n * E18)
      await increaseTime(fx, DELAY)
      const out = await send(escrowAs(fx, payer), 'release', payee.address)
      expect(escrowEvents(fx, out)).to.deep.equal([{ name: 'LaneReleased', args: [payer.address, payee.address, 0n] }])
      expect(await releaseOf(0, 0)).to.deep.equal([0n, 0n])
    })
  })

  it('withdrawals see only the free balance: a lane cannot be requested or withdrawn', async () => {
    const [payer, payee] = [fx.payers[0]!, fx.payees[0]!]
    await deposit(fx, payer, 10n * E18)
    await send(escrowAs(fx, payer), 'requestWithdrawal', 8n * E18)
    await reserve(0, [[0, 6n * E18]])
    await expectRevert(escrowAs(fx, payer).getFunction('requestWithdrawal')(5n * E18), fx.escrow.interface,
      'InsufficientBalance', [payer.address, 4n * E18, 5n * E18])
    await increaseTime(fx, DELAY)
    const out = await send(escrowAs(fx, payer), 'withdraw')
    expect(escrowEvents(fx, out)).to.deep.equal([{ name: 'Withdrawn', args: [payer.address, 4n * E18] }])
    expect(await laneOf(fx, payer, payee)).to.deep.equal([6n * E18, 0n])
    expect(await escrowTokens()).to.equal(6n * E18)
  })
})
