/**
 * One behaviour suite, two EscrowClients: EvmChain on anvil and TronChain through the TRON HTTP API shim on the
 * same anvil. Whatever the agent relies on must hold for both.
 */
import { expect } from 'chai'
import { TronWeb } from 'tronweb'
import { ZeroAddress } from 'ethers'
import { useChainFixture, signReceipt, increaseTime, DELAY, E18, type ChainFixture } from './fixture.ts'
import { TronShim } from './tron-shim.ts'
import { TronChain } from '../../../agent/chain/tron-chain.ts'
import { ANVIL_KEYS } from '../../../agent/chain/anvil.ts'
import { isEscrowRevert, type EscrowRevertError } from '../../../agent/chain/errors.ts'
import type { EscrowClient, EscrowEvent } from '../../../agent/chain/client.ts'
import type { EvmChain } from '../../../agent/chain/evm-chain.ts'
import type { Receipt } from '../../../agent/pay/receipt.ts'

type Mintable = EscrowClient & { mintTestBTT: EvmChain['mintTestBTT'] }
type Factory = (fx: ChainFixture, shim: TronShim, index: number) => Mintable

const CHAINS: Array<[string, Factory]> = [
  ['EvmChain', (fx, _shim, i) => fx.clients[i]!],
  ['TronChain', (fx, shim, i) => new TronChain({ tronWeb: new TronWeb({ fullHost: shim.url }) },
    { escrow: fx.deployment.escrow.base58, chainId: fx.anvil.chainId, privateKey: ANVIL_KEYS[i]!, pollIntervalMs: 20 })]
]

function names (events: EscrowEvent[]): string[] {
  return events.map(e => e.name)
}

for (const [label, make] of CHAINS) {
  describe(`EscrowClient conformance: ${label}`, function () {
    const fx = useChainFixture()
    let shim: TronShim
    const c = (i: number): Mintable => make(fx, shim, i)

    before(async () => { shim = await TronShim.start(fx.provider) })
    after(async () => { await shim?.stop() })

    async function fund (i: number, amount: bigint): Promise<void> {
      const client = c(i)
      await client.mintTestBTT(client.account!, amount)
      await client.approve(amount)
      await client.deposit(amount)
    }

    function receipt (payer: number, payee: number, bytes: bigint, amount: bigint): Receipt {
      return { payer: fx.wallets[payer]!.address, payee: fx.wallets[payee]!.address, cumulativeBytes: bytes, cumulativeAmount: amount }
    }

    it('exposes chain id, escrow and account as 0x-hex', () => {
      const client = c(1)
      expect(client.chainId).to.equal(3448148188n)
      expect(client.escrow).to.equal(fx.deployment.escrow.hex)
      expect(client.account).to.equal(fx.wallets[1]!.address)
    })

    it('deposit → balance, allowance spent, Deposited event', async () => {
      await fund(1, 5n * E18)
      const client = c(1)
      expect(await client.balanceOf(client.account!)).to.equal(5n * E18)
      expect(await client.allowance(client.account!)).to.equal(0n)
      const { events } = await client.eventsSince(fx.deployment.escrowBlock!)
      expect(events.filter(e => e.name === 'Deposited')).to.have.length(1)
    })

    it('settle and settleBatch pay the payee; replay reverts with NothingToSettle', async () => {
      await fund(1, 10n * E18)
      await fund(2, 10n * E18)
      const payee = c(5)
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
      expect(await payee.tokenBalanceOf(payee.account!)).to.equal(5n * E18)
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
  })
}
