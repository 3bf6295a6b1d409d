import { expect } from 'chai'
import fc from 'fast-check'
import { Trx } from 'tronweb'
import { Wallet, verifyTypedData } from 'ethers'
import { useChainFixture, fund, E18 } from './fixture.ts'
import { receiptDigest, receiptDomain, receiptMessage, RECEIPT_TYPES, NILE_CHAIN_ID, type Receipt } from '../../../agent/pay/receipt.ts'
import { toTronAddress } from '../../../agent/chain/tron-address.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'

const TYPES = { Receipt: [...RECEIPT_TYPES.Receipt] }

function tronSign (key: string, escrow: string, chainId: bigint, r: Receipt, base58: boolean): string {
  const addr = (a: string): string => base58 ? toTronAddress(a) : a
  const domain = { name: 'seedpay', version: '1', chainId: chainId.toString(), verifyingContract: addr(escrow) }
  const message = { payer: addr(r.payer), payee: addr(r.payee), cumulativeBytes: r.cumulativeBytes.toString(), cumulativeAmount: r.cumulativeAmount.toString() }
  return Trx._signTypedData(domain, TYPES, message, key.replace(/^0x/, ''))
}

describe('TIP-712 receipts: tronweb and ethers agree with the contract', function () {
  const fx = useChainFixture()

  it('tronweb (hex or base58 addresses) and ethers produce the same signature for random receipts (fixed seed)', async () => {
    const wallet = new Wallet(ANVIL_KEYS[1])
    const escrow = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
    await fc.assert(fc.asyncProperty(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
      async (bytes, amount) => {
        const r: Receipt = { payer: wallet.address, payee: new Wallet(ANVIL_KEYS[5]).address, cumulativeBytes: bytes, cumulativeAmount: amount }
        const domain = receiptDomain({ chainId: NILE_CHAIN_ID, escrow })
        const viaEthers = await wallet.signTypedData(domain, TYPES, receiptMessage(r))
        expect(tronSign(ANVIL_KEYS[1], escrow, NILE_CHAIN_ID, r, false)).to.equal(viaEthers)
        expect(tronSign(ANVIL_KEYS[1], escrow, NILE_CHAIN_ID, r, true)).to.equal(viaEthers)
        expect(verifyTypedData(domain, TYPES, receiptMessage(r), viaEthers)).to.equal(wallet.address)
        expect(Trx.verifyTypedData(
          { ...domain, chainId: domain.chainId.toString(), verifyingContract: toTronAddress(escrow) }, TYPES,
          { ...receiptMessage(r), payer: toTronAddress(r.payer), payee: toTronAddress(r.payee) }, viaEthers, toTronAddress(wallet.address)
        )).to.equal(true)
      }), { seed: 7, numRuns: 25 })
  })

  it('receiptDigest equals the deployed contract\'s hashReceipt, and a tronweb-signed receipt settles', async () => {
    const escrow = fx.deployment.escrow.hex
    const payer = fx.clients[1]!
    await fund(payer, 10n * E18)
    const r: Receipt = { payer: payer.account!, payee: fx.wallets[6]!.address, cumulativeBytes: 1n << 40n, cumulativeAmount: 2n * E18 }
    expect(await fx.readOnly.hashReceipt(r)).to.equal(receiptDigest({ chainId: fx.anvil.chainId, escrow }, r))
    const sig = tronSign(ANVIL_KEYS[1], escrow, fx.anvil.chainId, r, true)
    const res = await fx.clients[6]!.settle(r, sig)
    expect(res.events.find(e => e.name === 'Settled')).to.include({ paid: 2n * E18, payer: r.payer, payee: r.payee })
  })
})
