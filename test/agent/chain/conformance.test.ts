/**
 * One behaviour suite, two EscrowClients and two escrows: EvmChain on anvil and TronChain through the TRON HTTP
 * API shim on the same anvil, over the TRC-20 BandwidthEscrow; and EvmChain over the NativeBandwidthEscrow (BTT as
 * BitTorrent Chain's coin), on a gas-free anvil. Whatever the agent relies on must hold for all three.
 */
import { expect } from 'chai'
import { TronWeb } from 'tronweb'
import { Contract, MaxUint256, ZeroAddress, type ContractTransactionResponse } from 'ethers'
import { deployArtifact } from '../../../agent/chain/deploy.ts'
import { loadArtifact } from '../../../agent/chain/artifacts.ts'
import { nativeEscrowInterface } from '../../../agent/chain/abi.ts'
import { useChainFixture, signReceipt, increaseTime, DELAY, E18, type ChainFixture } from './fixture.ts'
import { TronShim } from './tron-shim.ts'
import { TronChain } from '../../../agent/chain/tron-chain.ts'
import { ANVIL_KEYS, depositTestFunds } from '../../../devtools/chain/index.ts'
import { toTronAddress } from '../../../agent/chain/tron-address.ts'
import { isEscrowRevert, NativeAssetError, type EscrowRevertError } from '../../../agent/chain/errors.ts'
import type { EscrowAsset, EscrowClient, EscrowEvent } from '../../../agent/chain/client.ts'
import type { EvmChain } from '../../../agent/chain/evm-chain.ts'
import type { Receipt } from '../../../agent/pay/receipt.ts'

type Mintable = EscrowClient & Pick<EvmChain, 'mintTestBTT' | 'unclaimedOf' | 'claim'>
type Factory = (fx: ChainFixture, shim: TronShim, index: number) => Mintable

const CHAINS: Array<[string, EscrowAsset, Factory]> = [
  ['EvmChain', 'token', (fx, _shim, i) => fx.clients[i]!],
  ['TronChain', 'token', (fx, shim, i) => new TronChain({ tronWeb: new TronWeb({ fullHost: shim.url }) },
    { escrow: fx.deployment.escrow.base58, chainId: fx.anvil.chainId, privateKey: ANVIL_KEYS[i]!, pollIntervalMs: 20 })],
  ['EvmChain, native escrow', 'native', (fx, _shim, i) => fx.clients[i]!]
]

function names (events: EscrowEvent[]): string[] {
  return events.map(e => e.name)
}

for (const [label, asset, make] of CHAINS) {
  describe(`EscrowClient conformance: ${label}`, function () {
    const fx = useChainFixture({ asset })
    let shim: TronShim
    const c = (i: number): Mintable => make(fx, shim, i)

    before(async () => { shim = await TronShim.start(fx.provider) })
    after(async () => { await shim?.stop() })

    async function fund (i: number, amount: bigint): Promise<void> {
      await depositTestFunds(c(i), amount)
    }

    function receipt (payer: number, payee: number, bytes: bigint, amount: bigint): Receipt {
      return { payer: fx.wallets[payer]!.address, payee: fx.wallets[payee]!.address, cumulativeBytes: bytes, cumulativeAmount: amount }
    }

    it('exposes chain id, escrow and account as 0x-hex, and what its fee price counts in', () => {
      const client = c(1)
      expect(client.feeUnit).to.equal(label === 'TronChain' ? 'sun' : 'wei')
      expect(client.chainId).to.equal(3448148188n)
      expect(client.escrow).to.equal(fx.deployment.escrow.hex)
      expect(client.account).to.equal(fx.wallets[1]!.address)
    })

    it('deposit → balance, allowance spent (coins need none), Deposited event', async () => {
      const client = c(1)
      expect(await client.asset()).to.equal(asset)
      const wallet = await client.tokenBalanceOf(client.account!)
      await fund(1, 5n * E18)
      expect(await client.balanceOf(client.account!)).to.equal(5n * E18)
      expect(await client.allowance(client.account!)).to.equal(asset === 'token' ? 0n : MaxUint256)
      // the wallet paid exactly the deposit (the native chain charges no gas; TestBTT was minted just for it)
      expect(await client.tokenBalanceOf(client.account!)).to.equal(asset === 'token' ? 0n : wallet - 5n * E18)
      const { events } = await client.eventsSince(fx.deployment.escrowBlock!)
      expect(events.filter(e => e.name === 'Deposited')).to.have.length(1)
    })

    if (asset === 'native') {
      it('native escrow: approve and the faucet refuse with NativeAssetError; claim with nothing unclaimed reverts with NothingToClaim', async () => {
        const client = c(1)
        expect(await client.token()).to.equal(ZeroAddress)
        expect(await client.approve(1n).catch((e: unknown) => e)).to.be.instanceOf(NativeAssetError)
        expect(await client.mintTestBTT(client.account!, 1n).catch((e: unknown) => e)).to.be.instanceOf(NativeAssetError)
        const err = await client.claim(client.account!).catch((e: unknown) => e)
        expect(isEscrowRevert(err, 'NothingToClaim')).to.equal(true)
        await client.depositFor(fx.wallets[2]!.address, 2n * E18)
        expect(await client.balanceOf(fx.wallets[2]!.address)).to.equal(2n * E18)
      })

      it('native escrow: a payout a contract refuses is decoded as PayoutDeferred, its claim as Claimed', async () => {
        await fund(1, 5n * E18)
        const hostile = await deployArtifact('HostileAccount', fx.wallets[0]!, [1 /* Refuse */], {})
        const r: Receipt = { payer: fx.wallets[1]!.address, payee: hostile.address, cumulativeBytes: 10n, cumulativeAmount: 2n * E18 }
        const settled = await c(5).settle(r, await signReceipt(fx, fx.wallets[1]!, r))
        expect(names(settled.events)).to.deep.equal(['Settled', 'PayoutDeferred'])
        expect(settled.events[1]).to.include({ name: 'PayoutDeferred', to: hostile.address, amount: 2n * E18 })
        expect(await c(5).unclaimedOf(hostile.address)).to.equal(2n * E18)
        const contract = new Contract(hostile.address, loadArtifact('HostileAccount').abi, fx.wallets[0])
        const to = fx.wallets[7]!.address
        const tx = await contract.getFunction('exec')(fx.deployment.escrow.hex, nativeEscrowInterface().encodeFunctionData('claim', [to])) as ContractTransactionResponse
        await tx.wait()
        const { events } = await c(5).eventsSince(settled.blockNumber)
        expect(events.find(e => e.name === 'Claimed')).to.include({ name: 'Claimed', account: hostile.address, to, amount: 2n * E18 })
      })
    }

    it('settle and settleBatch pay the payee; replay reverts with NothingToSettle', async () => {
      await fund(1, 10n * E18)
      await fund(2, 10n * E18)
      const payee = c(5)
      const payeeWallet = await payee.tokenBalanceOf(payee.account!)
      const r1 = receipt(1, 5, 100n, E18)
      const s1 = await signReceipt(fx, fx.wallets[1]!, r1)
      expect(names((await payee.settle(r1, s1)).events)).to.deep.equal(['Settled'])
      const err = await payee.settle(r1, s1).catch((e: unknown) => e)
      expect(isEscrowRevert(err, 'NothingToSettle')).to.equal(true)
      expect((err as EscrowRevertError<'NothingToSettle'>).args.paidOut).to.equal(E18)

      const r2 = receipt(1, 5, 300n, 3n * E18)
      const r3 = receipt(2, 5, 50n, 2n * E18)
      const batch = await payee.settleBatch(payee.account!, [
        { receipt: r2, signature: await signReceipt(fx, fx.wallets[1]!, r2) },
        { receipt: r3, signature: await signReceipt(fx, fx.wallets[2]!, r3) }
      ])
      expect(names(batch.events)).to.deep.equal(['BatchSettled', 'Settled', 'Settled'])
      expect(await payee.paidOut(r2.payer, r2.payee)).to.equal(3n * E18)
      expect(await payee.paidOut(r3.payer, r3.payee)).to.equal(2n * E18)
      expect(await payee.tokenBalanceOf(payee.account!)).to.equal(payeeWallet + 5n * E18)
      expect(await payee.unclaimedOf(payee.account!)).to.equal(0n)
      expect(await payee.hashReceipt(r2)).to.match(/^0x[0-9a-f]{64}$/)
    })

    it('withdrawal: request, locked, time passes, withdraw; cancel when none pending reverts', async () => {
      await fund(1, 4n * E18)
      const payer = c(1)
      const req = await payer.requestWithdrawal(E18)
      expect(names(req.events)).to.deep.equal(['WithdrawalRequested'])
      expect((await payer.pendingWithdrawal(payer.account!)).amount).to.equal(E18)
      expect(isEscrowRevert(await payer.withdraw().catch((e: unknown) => e), 'WithdrawalLocked')).to.equal(true)
      await increaseTime(fx, DELAY)
      expect(names((await payer.withdraw()).events)).to.deep.equal(['Withdrawn'])
      expect(await payer.balanceOf(payer.account!)).to.equal(3n * E18)
      expect(isEscrowRevert(await payer.cancelWithdrawal().catch((e: unknown) => e), 'NoWithdrawalPending')).to.equal(true)
    })

    it('setSigner, signerOf, and a hot-key receipt settles', async () => {
      await fund(1, 2n * E18)
      const payer = c(1)
      const hot = fx.wallets[8]!
      expect(names((await payer.setSigner(hot.address)).events)).to.deep.equal(['SignerChanged'])
      expect(await payer.signerOf(payer.account!)).to.deep.equal({ signer: hot.address, previous: ZeroAddress, previousValidUntil: 0n })
      const r = receipt(1, 6, 1n, E18)
      expect(names((await c(6).settle(r, await signReceipt(fx, hot, r))).events)).to.deep.equal(['Settled'])
      expect(await payer.withdrawalDelay()).to.equal(DELAY)
      expect(await payer.token()).to.equal(fx.deployment.token.hex)
    })

    it('lanes: reserve, laneOf, a lane-covered settle, requestRelease → pendingRelease → locked → cancel → again → release', async () => {
      await fund(1, 10n * E18)
      const payer = c(1)
      const payee = c(5)
      // TronChain takes base58 as well: the lane's payee goes in as T... there, as 0x-hex on EvmChain.
      const payeeArg = label === 'TronChain' ? toTronAddress(payee.account!) : payee.account!
      const reserved = await payer.reserve([{ payee: payeeArg, amount: 4n * E18 }, { payee: fx.wallets[6]!.address, amount: E18 }])
      expect(reserved.events).to.deep.include({ ...reserved.events[0]!, name: 'LaneReserved', payer: payer.account!, payee: payee.account!, amount: 4n * E18, lane: 4n * E18 })
      expect(names(reserved.events)).to.deep.equal(['LaneReserved', 'LaneReserved'])
      expect(await payer.laneOf(payer.account!, payeeArg)).to.deep.equal({ lane: 4n * E18, paidOut: 0n })
      expect(await payer.balanceOf(payer.account!)).to.equal(5n * E18)

      const r = receipt(1, 5, 10n, 3n * E18)
      expect(names((await payee.settle(r, await signReceipt(fx, fx.wallets[1]!, r))).events)).to.deep.equal(['Settled'])
      expect(await payee.laneOf(payer.account!, payee.account!)).to.deep.equal({ lane: E18, paidOut: 3n * E18 })
      expect(await payer.balanceOf(payer.account!)).to.equal(5n * E18)

      const req = await payer.requestRelease(payeeArg, E18)
      const [requested] = req.events
      expect(requested).to.include({ name: 'LaneReleaseRequested', payer: payer.account, payee: payee.account, amount: E18 })
      const unlockAt = (requested as Extract<EscrowEvent, { name: 'LaneReleaseRequested' }>).unlockAt
      expect(await payer.pendingRelease(payer.account!, payeeArg)).to.deep.equal({ amount: E18, unlockAt })
      const locked = await payer.release(payeeArg).catch((e: unknown) => e)
      expect(isEscrowRevert(locked, 'ReleaseLocked')).to.equal(true)
      expect((locked as EscrowRevertError<'ReleaseLocked'>).args).to.include({ payer: payer.account, payee: payee.account, unlockAt })
      expect(names((await payer.cancelRelease(payeeArg)).events)).to.deep.equal(['LaneReleaseCancelled'])
      const none = await payer.cancelRelease(payeeArg).catch((e: unknown) => e)
      expect((none as EscrowRevertError<'NoReleasePending'>).args).to.deep.equal({ payer: payer.account, payee: payee.account })
      const tooMuch = await payer.requestRelease(payeeArg, 2n * E18).catch((e: unknown) => e)
      expect((tooMuch as EscrowRevertError<'InsufficientLane'>).args).to.deep.equal({ payer: payer.account, payee: payee.account, lane: E18, requested: 2n * E18 })

      await payer.requestRelease(payeeArg, E18)
      await increaseTime(fx, DELAY)
      const out = await payer.release(payeeArg)
      expect(out.events.map(e => e.name === 'LaneReleased' ? [e.payer, e.payee, e.amount] : e.name)).to.deep.equal([[payer.account, payee.account, E18]])
      expect(await payer.laneOf(payer.account!, payee.account!)).to.deep.equal({ lane: 0n, paidOut: 3n * E18 })
      expect(await payer.pendingRelease(payer.account!, payee.account!)).to.deep.equal({ amount: 0n, unlockAt: 0n })
      expect(await payer.balanceOf(payer.account!)).to.equal(6n * E18)

      const { events } = await payer.eventsSince(fx.deployment.escrowBlock!)
      expect(names(events).filter(n => n.startsWith('Lane'))).to.deep.equal([
        'LaneReserved', 'LaneReserved', 'LaneReleaseRequested', 'LaneReleaseCancelled', 'LaneReleaseRequested', 'LaneReleased'
      ])
    })

    it('withdrawalWindow; a withdrawal past its window reverts with WithdrawalExpired, a fresh request works', async () => {
      await fund(1, 2n * E18)
      const payer = c(1)
      expect(await payer.withdrawalWindow()).to.equal(DELAY)
      const req = await payer.requestWithdrawal(E18)
      const unlockAt = (req.events[0] as Extract<EscrowEvent, { name: 'WithdrawalRequested' }>).unlockAt
      await increaseTime(fx, 2n * DELAY)
      const err = await payer.withdraw().catch((e: unknown) => e)
      expect(isEscrowRevert(err, 'WithdrawalExpired')).to.equal(true)
      expect((err as EscrowRevertError<'WithdrawalExpired'>).args).to.include({ payer: payer.account, expiredAt: unlockAt + DELAY })
      await payer.requestWithdrawal(E18)
      await increaseTime(fx, DELAY)
      expect(names((await payer.withdraw()).events)).to.deep.equal(['Withdrawn'])
    })

    it('eventsSince stops at toBlock (a confirmation depth), capped at the newest block', async () => {
      const from = await c(1).blockNumber() + 1
      await fund(1, 2n * E18)
      const payer = c(1)
      const deposited = await payer.blockNumber()
      await payer.reserve([{ payee: fx.wallets[5]!.address, amount: E18 }])
      const head = await payer.blockNumber()
      const upToDeposit = await payer.eventsSince(from, { toBlock: deposited })
      expect(upToDeposit.toBlock).to.equal(deposited)
      expect(names(upToDeposit.events)).to.deep.equal(['Deposited'])
      const rest = await payer.eventsSince(deposited + 1, { toBlock: head + 100 })
      expect(rest.toBlock).to.equal(head)
      expect(names(rest.events)).to.deep.equal(['LaneReserved'])
      expect(await payer.eventsSince(head, { toBlock: head - 1 })).to.deep.equal({ events: [], toBlock: head - 1 })
    })
  })
}
