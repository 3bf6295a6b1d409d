import { expect } from 'chai'
import fc from 'fast-check'
import { solidityPacked, type Contract } from 'ethers'
import { useEscrowFixture, deploy } from './fixture.ts'

describe('BatchEntryCodec (assembly) against its plain-Solidity reference', () => {
  const fx = useEscrowFixture()
  let harness: Contract
  // Deployed in the test: the fixture reverts the chain to its snapshot before each test.
  beforeEach(async () => { harness = await deploy('BatchEntryCodecHarness', fx.deployer) })

  const hex = (n: number): fc.Arbitrary<string> =>
    fc.uint8Array({ minLength: n, maxLength: n }).map(b => '0x' + Buffer.from(b).toString('hex'))
  const entry = fc.record({
    payer: hex(20),
    bytes: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    amount: fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }),
    r: hex(32),
    vs: hex(32)
  })

  it('decodes every entry of random batches identically (property, fixed seed)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 6 }), async (entries) => {
      const packed = '0x' + entries.map(e => solidityPacked(['address', 'uint64', 'uint128', 'bytes32', 'bytes32'],
        [e.payer, e.bytes, e.amount, e.r, e.vs]).slice(2)).join('')
      for (let i = 0; i < entries.length; i++) {
        const fast = await harness.getFunction('decode')(packed, i)
        const reference = await harness.getFunction('decodeReference')(packed, i)
        expect([...fast]).to.deep.equal([...reference])
        const e = entries[i]!
        expect([String(fast[0]).toLowerCase(), fast[1], fast[2], fast[3], fast[4]])
          .to.deep.equal([e.payer, e.bytes, e.amount, e.r, e.vs])
      }
    }), { seed: 20261125, numRuns: 60 })
  })

  it('writes the same BatchSettled records as abi.encodePacked (property, fixed seed)', async () => {
    const record = fc.record({
      payer: hex(20),
      bytes: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      amount: fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }),
      paid: fc.bigInt({ min: 0n, max: 2n ** 128n - 1n })
    })
    await fc.assert(fc.asyncProperty(fc.array(record, { minLength: 0, maxLength: 8 }), async (records) => {
      const args = [records.map(r => r.payer), records.map(r => r.bytes), records.map(r => r.amount), records.map(r => r.paid)]
      const fast = await harness.getFunction('records')(...args) as string
      expect(fast).to.equal(await harness.getFunction('recordsReference')(...args))
      expect(fast).to.equal('0x' + records.map(r => solidityPacked(['address', 'uint64', 'uint128', 'uint128'],
        [r.payer, r.bytes, r.amount, r.paid]).slice(2)).join(''))
    }), { seed: 20261125, numRuns: 60 })
  })
})
