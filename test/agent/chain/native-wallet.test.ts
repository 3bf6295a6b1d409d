import { expect } from 'chai'
import fc from 'fast-check'
import { Transaction, Wallet, computeAddress, parseEther, type TransactionRequest } from 'ethers'
import { NativeWallet } from '../../../agent/chain/native-wallet.ts'
import { addressOfKey } from '../../../agent/pay/key-address.ts'
import { useAnvil } from '../../helpers/anvil.ts'

/** secp256k1's group order: a private key is in [1, n). */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const keyOf = (k: bigint): string => '0x' + k.toString(16).padStart(64, '0')
const anyKey = fc.bigInt({ min: 1n, max: N - 1n }).map(keyOf)

describe('addressOfKey and NativeWallet (native libsecp256k1)', () => {
  it('addressOfKey gives ethers\' computeAddress for random keys, and refuses 0 and n', () => {
    fc.assert(fc.property(anyKey, key => { expect(addressOfKey(key)).to.equal(computeAddress(key).toLowerCase()) }), { numRuns: 200, seed: 20261203 })
    expect(addressOfKey(keyOf(N - 1n))).to.equal(computeAddress(keyOf(N - 1n)).toLowerCase())
    expect(() => addressOfKey(keyOf(0n))).to.throw(RangeError, /not a valid secp256k1 private key/)
    expect(() => addressOfKey(keyOf(N))).to.throw(RangeError, /not a valid secp256k1 private key/)
  })

  it('signs transactions, messages and typed data byte for byte as ethers\' Wallet', async () => {
    const txs: TransactionRequest[] = [
      { type: 2, chainId: 3448148188n, nonce: 7, to: '0x000000000000000000000000000000000000dEaD', value: 1n, data: '0x1234', gasLimit: 90_000n, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1n },
      { type: 0, chainId: 199n, nonce: 0, to: '0x000000000000000000000000000000000000bEEF', value: parseEther('1.5'), gasLimit: 21_000n, gasPrice: 10n ** 9n }
    ]
    await fc.assert(fc.asyncProperty(anyKey, fc.uint8Array({ maxLength: 64 }), async (key, message) => {
      const ours = new NativeWallet(key)
      const theirs = new Wallet(key)
      expect(ours.address).to.equal(theirs.address)
      for (const tx of txs) expect(await ours.signTransaction(tx)).to.equal(await theirs.signTransaction(tx))
      expect(await ours.signMessage(message)).to.equal(await theirs.signMessage(message))
      const domain = { name: 'seedpay', version: '1', chainId: 3448148188n, verifyingContract: '0x000000000000000000000000000000000000dEaD' }
      const types = { Receipt: [{ name: 'payee', type: 'address' }, { name: 'bytes', type: 'uint256' }] }
      const value = { payee: theirs.address, bytes: message.length }
      expect(await ours.signTypedData(domain, types, value)).to.equal(await theirs.signTypedData(domain, types, value))
    }), { numRuns: 40, seed: 20261203 })
  })

  it('refuses a transaction from another account, and a key that is not 32 bytes', async () => {
    const ours = new NativeWallet(Wallet.createRandom().privateKey)
    const other = Wallet.createRandom().address
    let thrown: unknown = null
    try { await ours.signTransaction({ from: other, to: other, chainId: 1n, gasLimit: 21_000n, gasPrice: 1n, nonce: 0 }) } catch (err) { thrown = err }
    expect(String(thrown)).to.match(/cannot be signed by/)
    expect(() => new NativeWallet('0x1234')).to.throw(RangeError, /32 bytes/)
  })

  describe('on anvil', () => {
    const chain: { send?: (w: NativeWallet) => Promise<string> } = {}
    useAnvil(async ({ provider, wallets }) => {
      chain.send = async (w) => {
        const funded = await wallets[0]!.sendTransaction({ to: w.address, value: parseEther('1') })
        await funded.wait()
        const sent = await w.connect(provider).sendTransaction({ to: wallets[1]!.address, value: 12345n })
        const mined = await sent.wait()
        return mined!.from
      }
    })

    it('sends a transaction the chain accepts as from its address', async () => {
      const w = new NativeWallet(Wallet.createRandom().privateKey)
      expect(await chain.send!(w)).to.equal(w.address)
      expect(Transaction.from(await w.signTransaction({ to: w.address, chainId: 1n, gasLimit: 21_000n, gasPrice: 1n, nonce: 0 })).from).to.equal(w.address)
    })
  })
})
