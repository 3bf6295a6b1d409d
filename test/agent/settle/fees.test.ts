/** The fee price read from the chain (anvil's eth_gasPrice for real) and kept when a read fails. */
import { expect } from 'chai'
import { JsonRpcProvider } from 'ethers'
import { useChainFixture } from '../chain/fixture.ts'
import { startAnvil } from '../../../devtools/chain/index.ts'
import { EvmChain } from '../../../agent/chain/evm-chain.ts'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { lastPriceOf, TronChain } from '../../../agent/chain/tron-chain.ts'
import { ChainRequestError } from '../../../agent/chain/index.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { defaultMinAmount, FeeConfigError, FeeOracle, SettlementScheduler, TRON_TOKEN_PER_SUN } from '../../../agent/settle/index.ts'
import { logger, payeeBooks } from './helpers.ts'

describe('fee price', function () {
  this.timeout(60_000)
  const fx = useChainFixture()
  const gasPrice = async (provider: JsonRpcProvider = fx.provider): Promise<bigint> => BigInt(await provider.send('eth_gasPrice', []) as string)

  it('EvmChain reads eth_gasPrice, wei per gas', async () => {
    const read = await fx.readOnly.feePrice()
    expect(read).to.equal(await gasPrice())
    expect(read > 0n).to.equal(true)
  })

  it('is read again only once refreshMs has passed, and follows the chain', async () => {
    let now = 0
    const fees = new FeeOracle({ logger, chain: fx.readOnly, clock: () => now }, { fallback: 7n, refreshMs: 60_000 })
    expect(fees.price).to.equal(7n) // before any read
    const first = await fees.refresh()
    expect(first).to.equal(await gasPrice())
    // the base fee goes up tenfold on the next block
    await fx.provider.send('anvil_setNextBlockBaseFeePerGas', [`0x${(first * 10n).toString(16)}`])
    await fx.provider.send('anvil_mine', ['0x1'])
    const raised = await gasPrice()
    expect(raised > first).to.equal(true)
    now = 59_999
    expect(await fees.refresh()).to.equal(first)
    now = 60_000
    expect(await fees.refresh()).to.equal(raised)
    expect(fees.lastReadAt).to.equal(60_000)
  })

  it('keeps the last price when a read fails, and does not throw', async () => {
    const other = await startAnvil()
    const provider = new JsonRpcProvider(other.url, undefined, { staticNetwork: true, cacheTimeout: -1 })
    try {
      const chain = await EvmChain.create({ provider }, { escrow: fx.deployment.escrow.hex, chainId: fx.anvil.chainId })
      const fees = new FeeOracle({ logger, chain }, { fallback: 7n, refreshMs: 0 })
      const read = await fees.refresh()
      expect(read).to.equal(await gasPrice(provider))
      await other.stop() // the node goes away
      expect(await fees.refresh({ force: true })).to.equal(read)
      expect(fees.price).to.equal(read)
    } finally {
      provider.destroy()
      await other.stop()
    }
  })

  it('a fixed price is never read; a price of 0 is refused', async () => {
    const fees = new FeeOracle({ logger, chain: fx.readOnly }, { fallback: 7n, fixed: 100n })
    expect(await fees.refresh({ force: true })).to.equal(100n)
    expect(fees.lastReadAt).to.equal(undefined)
    expect(() => new FeeOracle({ logger, chain: fx.readOnly }, { fallback: 0n })).to.throw(FeeConfigError)
  })

  it('TronChain asks the node\'s wallet/getenergyprices over HTTP and a scheduler on TRON prices with it', async () => {
    // a stand-in node serving only that endpoint (java-tron's answer shape: one string of time:price pairs)
    let asked = 0
    let newest = 100
    const node = createServer((req, res) => {
      if (req.url?.replace(/^\/+/, '') !== 'wallet/getenergyprices') { res.writeHead(404).end(); return }
      asked++
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ prices: `0:100,1729653300000:210,1756432800000:${newest}` }))
    })
    await new Promise<void>(resolve => node.listen(0, '127.0.0.1', resolve))
    try {
      const chain = TronChain.connect({ fullHost: `http://127.0.0.1:${(node.address() as AddressInfo).port}` }, { escrow: fx.deployment.escrow.hex, chainId: 3448148188n })
      expect(await chain.feePrice()).to.equal(100n)
      const fees = new FeeOracle({ logger, chain }, { fallback: 7n })
      expect(await fees.refresh()).to.equal(100n)
      expect(asked).to.equal(2)
      // the committee votes 420: a scheduler on TRON reads it at start and prices in sun at 0.48 BTT per sun
      newest = 420
      const books = payeeBooks({ chainId: 3448148188n, escrow: fx.deployment.escrow.hex }, ANVIL_KEYS[1])
      try {
        const s = new SettlementScheduler({ logger, ledger: books.ledger, chain }, { payee: books.payee, watchtower: false })
        expect(s.minAmount).to.equal(defaultMinAmount()) // before the read: 100 sun
        await s.start()
        expect(s.feePrice).to.equal(420n)
        expect(s.minAmount).to.equal(17_843n * 420n * TRON_TOKEN_PER_SUN * 10n)
        await s.stop()
      } finally {
        books.close()
      }
    } finally {
      node.closeAllConnections()
      await new Promise<void>(resolve => node.close(() => { resolve() }))
    }
  })

  it('TRON: the newest entry of getenergyprices\' history, sun per energy', () => {
    // shaped like mainnet's answer: oldest first, ms since the epoch : sun (timestamps illustrative; 210 → 100 in 2025-08)
    expect(lastPriceOf('0:100,1575871200000:10,1606537680000:40,1614238080000:140,1635739080000:280,1681895880000:420,1729653300000:210,1756432800000:100')).to.equal(100n)
    expect(lastPriceOf('0:420')).to.equal(420n)
    expect(() => lastPriceOf('')).to.throw(ChainRequestError)
    expect(() => lastPriceOf('0:100,garbage')).to.throw(ChainRequestError)
  })
})
