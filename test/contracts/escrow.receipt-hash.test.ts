import { expect } from 'chai'
import fc from 'fast-check'
import { getAddress, solidityPacked, type Contract } from 'ethers'
import { useEscrowFixture, deploy } from './fixture.ts'
import { RECEIPT_TYPEHASH, receiptDigest } from '../../agent/pay/receipt.ts'

describe('ReceiptHash (assembly) against its plain-Solidity reference', () => {
  const fx = useEscrowFixture()
  let harness: Contract
  // Deployed in the test: the fixture reverts the chain to its snapshot before each test.
  beforeEach(async () => { harness = await deploy('ReceiptHashHarness', fx.deployer) })

  const hex = (n: number): fc.Arbitrary<string> =>
    fc.uint8Array({ minLength: n, maxLength: n }).map(b => '0x' + Buffer.from(b).toString('hex'))
  const args = fc.record({
    domain: hex(32),
    typeHash: hex(32),
    payer: hex(20).map(getAddress),
    payee: hex(20).map(getAddress),
    bytes: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
    amount: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n })
  })

  it('computes the same digest for random inputs, leaves allocated memory intact (property, fixed seed)', async () => {
    await fc.assert(fc.asyncProperty(args, async (a) => {
      const call = [a.domain, a.typeHash, a.payer, a.payee, a.bytes, a.amount]
      const [first, second, kept] = await harness.getFunction('digest')(...call) as [string, string, string]
      const reference = await harness.getFunction('digestReference')(...call) as string
      expect(first).to.equal(reference)
      expect(second).to.equal(reference)
      expect(kept).to.equal(solidityPacked(['bytes32', 'bytes32'], [a.domain, a.typeHash]))
    }), { seed: 2098, numRuns: 100 })
  })

  it('equals the escrow\'s hashReceipt and agent/pay\'s receiptDigest', async () => {
    const domainSeparator = await fx.escrow.getFunction('domainSeparator')() as string
    const r = { payer: fx.payers[0]!.address, payee: fx.payees[0]!.address, cumulativeBytes: 1n << 40n, cumulativeAmount: 10n ** 21n }
    const [first] = await harness.getFunction('digest')(domainSeparator, RECEIPT_TYPEHASH, r.payer, r.payee, r.cumulativeBytes, r.cumulativeAmount) as [string]
    expect(first).to.equal(await fx.escrow.getFunction('hashReceipt')(r))
    expect(first).to.equal(receiptDigest({ chainId: fx.anvil.chainId, escrow: fx.escrowAddress }, r))
  })
})
