/**
 * TronChain's network path against TronShim (java-tron's HTTP API over anvil): the requests TronChain makes
 * and the answers it parses are TRON's; the execution is anvil's. What only Nile can show (energy prices,
 * bandwidth, TronGrid paging and rate limits) is left to scripts/nile-smoke.ts.
 */
import { expect } from 'chai'
import { TronWeb } from 'tronweb'
import { Wallet } from 'ethers'
import { useChainFixture, signReceipt, E18 } from './fixture.ts'
import { TronShim } from './tron-shim.ts'
import { TronChain } from '../../../agent/chain/tron-chain.ts'
import { toTronAddress } from '../../../agent/chain/tron-address.ts'
import { isEscrowRevert, ChainRequestError, FeeLimitExceededError, InsufficientEnergyError, type EscrowRevertError } from '../../../agent/chain/errors.ts'
import { feeLimitFor } from '../../../agent/chain/tron-fee.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { receiptDigest, type Receipt } from '../../../agent/pay/receipt.ts'
import type { EscrowEvent } from '../../../agent/chain/client.ts'

describe('TronChain over a TRON HTTP API (shim over anvil)', function () {
  const fx = useChainFixture()
  let shim: TronShim
  let payer: TronChain
  let payee: TronChain
  let payer2: TronChain

  before(async () => {
    shim = await TronShim.start(fx.provider)
    const client = (key: string, eventSource: 'event-api' | 'blocks' = 'event-api'): TronChain => new TronChain(
      { tronWeb: new TronWeb({ fullHost: shim.url }) },
      { escrow: fx.deployment.escrow.base58, chainId: fx.anvil.chainId, privateKey: key, pollIntervalMs: 20, eventSource })
    payer = client(ANVIL_KEYS[1])
    payer2 = client(ANVIL_KEYS[2])
    payee = client(ANVIL_KEYS[5], 'blocks')
  })

  after(async () => { await shim?.stop() })

  async function fundTron (c: TronChain, amount: bigint): Promise<void> {
    await c.mintTestBTT(c.accountBase58!, amount)
    await c.approve(amount)
    await c.deposit(amount)
  }

  it('reads views with base58 arguments', async () => {
    expect(await payer.token()).to.equal(fx.deployment.token.hex)
    expect(await payer.withdrawalDelay()).to.equal(3600n)
    expect(await payer.balanceOf(payer.accountBase58!)).to.equal(0n)
    const r: Receipt = { payer: payer.accountBase58!, payee: payee.accountBase58!, cumulativeBytes: 1n, cumulativeAmount: 2n }
    expect(await payer.hashReceipt(r)).to.equal(receiptDigest({ chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex },
      { ...r, payer: payer.account!, payee: payee.account! }))
  })

  it('mints, approves and deposits through signed TRON transactions; results carry the TRON txID, energy and events', async () => {
    await payer.mintTestBTT(payer.accountBase58!, 10n * E18)
    await payer.approve(10n * E18)
    const res = await payer.deposit(4n * E18)
    expect(res.txId).to.match(/^[0-9a-f]{64}$/)
    expect(res.gasUsed > 21_000n).to.equal(true)
    // no staked energy: every unit burnt at the shim's 100 sun; bandwidth from the free allowance
    expect(res.fee).to.equal(res.gasUsed * 100n)
    expect(res.events).to.have.length(1)
    expect(res.events[0]).to.include({ name: 'Deposited', payer: payer.account, amount: 4n * E18, txId: res.txId, logIndex: 1 }) // after the token's Transfer
    expect(await payee.balanceOf(payer.account!)).to.equal(4n * E18)
    expect(await payee.tokenBalanceOf(toTronAddress(payer.account!))).to.equal(6n * E18)
  })

  it('a reverting write fails in simulation with a typed error and sends nothing', async () => {
    const before = await fx.provider.getBlockNumber()
    const err = await payer.withdraw().catch((e: unknown) => e)
    expect(isEscrowRevert(err, 'NoWithdrawalPending')).to.equal(true)
    expect((err as EscrowRevertError<'NoWithdrawalPending'>).args.payer).to.equal(payer.account)
    expect((err as EscrowRevertError).txId).to.equal(undefined)
    expect(await fx.provider.getBlockNumber()).to.equal(before)
  })

  it('settles one receipt and a batch, and both event sources rebuild the same history', async () => {
    await fundTron(payer, 10n * E18)
    await fundTron(payer2, 10n * E18)
    const from = await payee.blockNumber()
    const sign = async (w: number, c: TronChain, bytes: bigint, amount: bigint): Promise<{ receipt: Receipt, signature: string }> => {
      const receipt: Receipt = { payer: c.account!, payee: payee.account!, cumulativeBytes: bytes, cumulativeAmount: amount }
      return { receipt, signature: await signReceipt(fx, fx.wallets[w]!, receipt) }
    }
    const one = await sign(1, payer, 1000n, E18)
    const single = await payee.settle({ ...one.receipt, payer: toTronAddress(one.receipt.payer) }, one.signature)
    expect(single.events.map(e => e.name)).to.deep.equal(['Settled'])
    const batch = await payee.settleBatch(payee.accountBase58!, [await sign(1, payer, 3000n, 3n * E18), await sign(2, payer2, 500n, 20n * E18)])
    expect(batch.events.map(e => e.name)).to.deep.equal(['Bounced', 'BatchSettled', 'Settled', 'Settled'])
    expect(batch.events[1]).to.include({ totalPaid: 12n * E18, skipped: 0n, settledCount: 2 })
    expect(await payee.paidOut(payer.accountBase58!, payee.accountBase58!)).to.equal(3n * E18)
    expect(await payee.tokenBalanceOf(payee.account!)).to.equal(13n * E18)

    const strip = (es: EscrowEvent[]): unknown[] => es.map(e => ({ ...e }))
    const viaBlocks = await payee.eventsSince(from)
    const viaApi = await payer.eventsSince(from)
    expect(viaBlocks.toBlock).to.equal(await fx.provider.getBlockNumber())
    expect(strip(viaApi.events)).to.deep.equal(strip(viaBlocks.events))
    expect(viaBlocks.events.filter(e => e.name === 'Settled').map(e => e.txId)).to.deep.equal([single.txId, batch.txId, batch.txId])
    // The EVM view of the same logs agrees, apart from the transaction ids' form (anvil mines one transaction
    // per block, so block-wide and per-transaction log indexes coincide).
    const evmView = await fx.readOnly.eventsSince(from)
    expect(evmView.events.map(e => ({ ...e, txId: '' }))).to.deep.equal(viaBlocks.events.map(e => ({ ...e, txId: '' })))
  })

  it('lane events and toBlock: both event sources stop at the cap and agree on the lane history', async () => {
    await fundTron(payer, 5n * E18)
    const from = await payee.blockNumber() + 1
    const reserved = await payer.reserve([{ payee: payee.accountBase58!, amount: 2n * E18 }])
    const requested = await payer.requestRelease(payee.accountBase58!, E18)
    const viaBlocks = await payee.eventsSince(from, { toBlock: reserved.blockNumber })
    const viaApi = await payer.eventsSince(from, { toBlock: reserved.blockNumber })
    expect(viaBlocks.toBlock).to.equal(reserved.blockNumber)
    expect(viaApi.toBlock).to.equal(reserved.blockNumber)
    expect(viaBlocks.events.map(e => e.name)).to.deep.equal(['LaneReserved'])
    expect(viaApi.events.map(e => ({ ...e }))).to.deep.equal(viaBlocks.events.map(e => ({ ...e })))
    const rest = await payee.eventsSince(reserved.blockNumber + 1)
    expect(rest.events).to.deep.equal(requested.events)
    expect(rest.events[0]).to.include({ name: 'LaneReleaseRequested', payer: payer.account, payee: payee.account, amount: E18 })
  })

  it('an aborted signal stops a write before anything is sent; an unreachable node is a ChainRequestError', async () => {
    const before = await fx.provider.getBlockNumber()
    const ac = new AbortController()
    ac.abort()
    const aborted = await payer.deposit(1n, { signal: ac.signal }).catch((e: unknown) => e)
    expect((aborted as Error).name).to.equal('AbortError')
    expect(await fx.provider.getBlockNumber()).to.equal(before)
    const offline = new TronChain({ tronWeb: new TronWeb({ fullHost: 'http://127.0.0.1:9' }) }, { escrow: fx.deployment.escrow.base58, chainId: fx.anvil.chainId })
    const err = await offline.balanceOf(payer.account!).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(ChainRequestError)
  })

  it('a transaction signed by a key other than its owner is rejected at broadcast', async () => {
    const tx = await payer.buildCall('escrow', 'cancelWithdrawal', [])
    const forged = await new TronWeb({ fullHost: shim.url }).trx.sign(tx, ANVIL_KEYS[3].slice(2), true, true)
    const res = await new TronWeb({ fullHost: shim.url }).trx.sendRawTransaction(forged)
    expect(res.result).not.to.equal(true)
    expect(new Wallet(ANVIL_KEYS[3]).address).not.to.equal(payer.account)
  })

  describe('what a write costs (energy estimate, fee limit, TRX burnt)', () => {
    afterEach(() => {
      shim.underestimatePercent = 0
      shim.setResources(payer.account!, { freeNetLimit: 1_000_000 })
      shim.setBalance(payer.account!, 10n ** 12n)
    })

    async function estimateOf (call: () => Promise<unknown>): Promise<bigint> {
      // what the shim's estimate says for this call: the fee limit is that energy at 100 sun, plus 20 %
      const sent = shim.broadcasts.length
      await call()
      return BigInt(shim.broadcasts[sent]!.raw_data.fee_limit!)
    }

    it('sets the fee limit from the estimate (not a fixed 300 TRX) and reports the sun burnt', async () => {
      const sent = shim.broadcasts.length
      const res = await payer.approve(1n)
      const limit = BigInt(shim.broadcasts[sent]!.raw_data.fee_limit!)
      // the estimate is anvil's gas estimate for the call, which is at least what it used
      expect(limit >= feeLimitFor(res.gasUsed, 100n, 20)).to.equal(true)
      expect(limit < feeLimitFor(res.gasUsed * 2n, 100n, 20)).to.equal(true)
      expect(limit < 300_000_000n).to.equal(true)
      expect(res.fee).to.equal(res.gasUsed * 100n)
    })

    it('uses staked energy first: a write covered by it burns nothing', async () => {
      shim.setResources(payer.account!, { EnergyLimit: 10_000_000, EnergyUsed: 0, freeNetLimit: 1_000_000 })
      const res = await payer.approve(1n)
      expect(res.fee).to.equal(0n)
      const again = await payer.approve(1n) // staked energy left: all but what the first write used
      expect(again.fee).to.equal(0n)
    })

    it('bandwidth beyond the free allowance is bought at 1000 sun a byte', async () => {
      shim.setResources(payer.account!, { freeNetLimit: 0 })
      const sent = shim.broadcasts.length
      const res = await payer.approve(1n)
      const tx = shim.broadcasts[sent]!
      expect(res.fee).to.equal(res.gasUsed * 100n + BigInt(tx.raw_data_hex.length / 2 + 65 + 64) * 1000n)
    })

    it('refuses, before signing anything out, a write the account cannot pay the energy of', async () => {
      shim.setBalance(payer.account!, 1_000n)
      const sent = shim.broadcasts.length
      const err = await payer.approve(1n).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(InsufficientEnergyError)
      const e = err as InsufficientEnergyError
      expect(e.balanceSun).to.equal(1_000n)
      expect(e.energyAvailable).to.equal(0n)
      expect(e.burnSun).to.equal(e.energy * 100n)
      expect(shim.broadcasts.length).to.equal(sent)
      // staked energy that covers it makes the same account able to send
      shim.setResources(payer.account!, { EnergyLimit: 10_000_000, freeNetLimit: 1_000_000 })
      expect((await payer.approve(1n)).fee).to.equal(0n)
    })

    it('refuses a write whose fee limit would be above the maximum, and sends nothing', async () => {
      const capped = new TronChain({ tronWeb: new TronWeb({ fullHost: shim.url }) },
        { escrow: fx.deployment.escrow.base58, chainId: fx.anvil.chainId, privateKey: ANVIL_KEYS[1], pollIntervalMs: 20, maxFeeLimitSun: 1_000_000 })
      const sent = shim.broadcasts.length
      const err = await capped.approve(1n).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(FeeLimitExceededError)
      expect((err as FeeLimitExceededError).maxFeeLimitSun).to.equal(1_000_000n)
      expect(shim.broadcasts.length).to.equal(sent)
    })

    it('the margin is what stands between a low estimate and OUT_OF_ENERGY, which burns the whole limit', async () => {
      const limit = await estimateOf(async () => await payer.approve(1n))
      expect(limit > 0n).to.equal(true)
      shim.underestimatePercent = 10 // within the 20 % margin: still goes through
      await payer.approve(1n)
      shim.underestimatePercent = 40 // beyond it: java-tron stops the call and keeps the limit
      const before = shim.balanceOf(payer.account!)
      const sent = shim.broadcasts.length
      const err = await payer.approve(1n).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(ChainRequestError)
      expect((err as Error).message).to.match(/OUT_OF_ENERGY/)
      expect(before - shim.balanceOf(payer.account!)).to.equal(BigInt(shim.broadcasts[sent]!.raw_data.fee_limit!))
    })
  })
})
