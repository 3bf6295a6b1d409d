/**
 * An ethers signer over one private key that signs with native libsecp256k1 instead of ethers' pure-JS curve.
 * `new Wallet(key)` derives its address in pure JS at once, and its first signature builds noble's base-point
 * tables: ~50 ms of every paid command's start-up, and for a payee the same again on its event loop at its first
 * settlement, mid-transfer. libsecp256k1 signs RFC 6979 with low s, as ethers does, so every signature and so
 * every transaction hash is byte for byte what `Wallet` would produce (test/agent/chain/native-wallet.test.ts).
 */
import {
  AbstractSigner, Signature, Transaction, TypedDataEncoder, copyRequest, getAddress, getBytes, hashMessage, resolveAddress,
  type Provider, type TransactionLike, type TransactionRequest, type TypedDataDomain, type TypedDataField
} from 'ethers'
import { addressOfKey } from '../pay/key-address.ts'
import { nativeSecp256k1 } from '../pay/secp256k1.ts'

export class NativeWallet extends AbstractSigner {
  /** The key's address, EIP-55 checksummed (as `Wallet.address`). */
  readonly address: string
  private readonly secret: Uint8Array

  constructor (privateKey: string, provider: Provider | null = null) {
    super(provider)
    this.secret = getBytes(privateKey)
    if (this.secret.length !== 32) throw new RangeError(`a private key is 32 bytes, not ${this.secret.length}`)
    this.address = getAddress(addressOfKey(this.secret))
  }

  override async getAddress (): Promise<string> { return this.address }

  override connect (provider: Provider | null): NativeWallet {
    return new NativeWallet('0x' + Buffer.from(this.secret).toString('hex'), provider)
  }

  /** As ethers' `Wallet.signTransaction`: resolves `to`/`from`, refuses a `from` that is not this key's. */
  override async signTransaction (request: TransactionRequest): Promise<string> {
    const tx = copyRequest(request)
    const [to, from] = await Promise.all([
      tx.to != null ? resolveAddress(tx.to, this) : undefined,
      tx.from != null ? resolveAddress(tx.from, this) : undefined
    ])
    if (to !== undefined) tx.to = to
    if (from !== undefined) {
      if (getAddress(from) !== this.address) throw new Error(`transaction from ${from} cannot be signed by ${this.address}`)
      delete tx.from
    }
    const btx = Transaction.from(tx as TransactionLike<string>)
    btx.signature = this.sign(btx.unsignedHash)
    return btx.serialized
  }

  override async signMessage (message: string | Uint8Array): Promise<string> {
    return this.sign(hashMessage(message)).serialized
  }

  override async signTypedData (domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    return this.sign(TypedDataEncoder.hash(domain, types, value)).serialized
  }

  private sign (digest: string): Signature {
    const { signature, recid } = nativeSecp256k1().ecdsaSign(getBytes(digest), this.secret)
    const hex = Buffer.from(signature).toString('hex')
    return Signature.from({ r: '0x' + hex.slice(0, 64), s: '0x' + hex.slice(64), yParity: recid === 1 ? 1 : 0 })
  }
}
