/**
 * The escrow's and its token's calls, written once for both chains. EvmChain and TronChain differ only in how
 * a call reaches the chain (`readAll`, `write`), how blocks and events are read, and which address forms they
 * accept: every address given here is normalised with `toEvmAddress` (base58, 41-hex or 0x-hex all work).
 */
import { MaxUint256, ZeroAddress, getAddress, type Interface } from 'ethers'
import { escrowInterface, nativeEscrowInterface, tokenInterface } from './abi.ts'
import { NativeAssetError, ReceiptDomainMismatchError } from './errors.ts'
import { encodeReserveEntries } from './batch-encoding.ts'
import type { CallOptions, EscrowAsset, EscrowClient, EventPage, EventsSinceOptions, Lane, ReserveEntry, SignedReceipt, SignerInfo, WriteResult, Withdrawal } from './client.ts'
import { toEvmAddress } from './tron-address.ts'
import { batchArgs, evmReceipt } from './tron-call.ts'
import { receiptDomainSeparator, type Receipt } from '../pay/receipt.ts'

/** The Receipt struct as an ABI tuple (checksummed addresses). */
export function receiptTuple (receipt: Receipt): [string, string, bigint, bigint] {
  const r = evmReceipt(receipt)
  return [r.payer, r.payee, r.cumulativeBytes, r.cumulativeAmount]
}

export abstract class EscrowContractClient implements EscrowClient {
  abstract readonly chainId: bigint
  abstract readonly escrow: string
  abstract readonly account: string | undefined
  abstract readonly feeUnit: 'sun' | 'wei'
  protected readonly escrowIface: Interface = escrowInterface()
  protected readonly tokenIface: Interface = tokenInterface()
  /** Loaded on first use: a token escrow's commands never parse the native artifact. */
  protected get nativeIface (): Interface { return nativeEscrowInterface() }
  protected tokenAddress: string | undefined

  constructor (token: string | undefined) {
    this.tokenAddress = token === undefined ? undefined : toEvmAddress(token)
  }

  /** Calls `method` without a transaction and returns all its decoded outputs. */
  protected abstract readAll (to: string, iface: Interface, method: string, args: unknown[], options: CallOptions): Promise<readonly unknown[]>
  /** Sends `method` as a transaction from `account` (carrying `value` of the chain's coin) and waits until it is mined. */
  protected abstract write (to: string, iface: Interface, method: string, args: unknown[], options: CallOptions, value?: bigint): Promise<WriteResult>
  /** The chain's coins held by `owner` (0x-hex). */
  protected abstract coinBalance (owner: string, options: CallOptions): Promise<bigint>
  abstract blockNumber (options?: CallOptions): Promise<number>
  abstract feePrice (options?: CallOptions): Promise<bigint>
  abstract eventsSince (fromBlock: number, options?: EventsSinceOptions): Promise<EventPage>

  protected async read<T> (to: string, iface: Interface, method: string, args: unknown[], options: CallOptions): Promise<T> {
    return (await this.readAll(to, iface, method, args, options))[0] as T
  }

  // ---------------------------------------------------------------- token

  async token (options: CallOptions = {}): Promise<string> {
    this.tokenAddress ??= getAddress(await this.read<string>(this.escrow, this.escrowIface, 'token', [], options))
    return this.tokenAddress
  }

  async asset (options: CallOptions = {}): Promise<EscrowAsset> {
    return await this.token(options) === ZeroAddress ? 'native' : 'token'
  }

  async tokenBalanceOf (owner: string, options: CallOptions = {}): Promise<bigint> {
    if (await this.asset(options) === 'native') return await this.coinBalance(toEvmAddress(owner), options)
    return await this.read<bigint>(await this.token(options), this.tokenIface, 'balanceOf', [toEvmAddress(owner)], options)
  }

  async allowance (owner: string, options: CallOptions = {}): Promise<bigint> {
    // Coins come with the deposit call itself: nothing to approve, nothing to run out of.
    if (await this.asset(options) === 'native') return MaxUint256
    return await this.read<bigint>(await this.token(options), this.tokenIface, 'allowance', [toEvmAddress(owner), this.escrow], options)
  }

  async approve (amount: bigint, options: CallOptions = {}): Promise<WriteResult> {
    if (await this.asset(options) === 'native') throw new NativeAssetError('approve', 'the escrow holds the chain\'s coin, which needs no approval')
    return await this.write(await this.token(options), this.tokenIface, 'approve', [this.escrow, amount], options)
  }

  /** TestBTT's open faucet (local chain and Nile only; BTT has no `mint`). */
  async mintTestBTT (to: string, amount: bigint, options: CallOptions = {}): Promise<WriteResult> {
    if (await this.asset(options) === 'native') throw new NativeAssetError('mint', 'the escrow holds the chain\'s coin, not TestBTT: fund the account with coins')
    return await this.write(await this.token(options), this.tokenIface, 'mint', [toEvmAddress(to), amount], options)
  }

  // ---------------------------------------------------------------- payer

  async deposit (amount: bigint, options: CallOptions = {}): Promise<WriteResult> {
    if (await this.asset(options) === 'native') return await this.write(this.escrow, this.nativeIface, 'deposit', [], options, amount)
    return await this.write(this.escrow, this.escrowIface, 'deposit', [amount], options)
  }

  async depositFor (payer: string, amount: bigint, options: CallOptions = {}): Promise<WriteResult> {
    if (await this.asset(options) === 'native') return await this.write(this.escrow, this.nativeIface, 'depositFor', [toEvmAddress(payer)], options, amount)
    return await this.write(this.escrow, this.escrowIface, 'depositFor', [toEvmAddress(payer), amount], options)
  }

  /** What `account` refused of its payouts and may `claim` (always 0 for a token escrow, which has no such thing). */
  async unclaimedOf (account: string, options: CallOptions = {}): Promise<bigint> {
    if (await this.asset(options) === 'token') return 0n
    return await this.read<bigint>(this.escrow, this.nativeIface, 'unclaimedOf', [toEvmAddress(account)], options)
  }

  /** Sends the account's unclaimed payouts to `to` (native escrow only). */
  async claim (to: string, options: CallOptions = {}): Promise<WriteResult> {
    if (await this.asset(options) === 'token') throw new NativeAssetError('claim', 'a token escrow pays out at once and keeps nothing to claim')
    return await this.write(this.escrow, this.nativeIface, 'claim', [toEvmAddress(to)], options)
  }

  async requestWithdrawal (amount: bigint, options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'requestWithdrawal', [amount], options)
  }

  async cancelWithdrawal (options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'cancelWithdrawal', [], options)
  }

  async withdraw (options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'withdraw', [], options)
  }

  async setSigner (signer: string, options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'setSigner', [toEvmAddress(signer)], options)
  }

  async reserve (entries: readonly ReserveEntry[], options: CallOptions = {}): Promise<WriteResult> {
    const packed = encodeReserveEntries(entries.map(e => ({ payee: toEvmAddress(e.payee), amount: e.amount })))
    return await this.write(this.escrow, this.escrowIface, 'reserve', [packed], options)
  }

  async requestRelease (payee: string, amount: bigint, options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'requestRelease', [toEvmAddress(payee), amount], options)
  }

  async cancelRelease (payee: string, options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'cancelRelease', [toEvmAddress(payee)], options)
  }

  async release (payee: string, options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'release', [toEvmAddress(payee)], options)
  }

  // ---------------------------------------------------------------- payee or relayer

  async settle (receipt: Receipt, signature: string, options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'settle', [receiptTuple(receipt), signature], options)
  }

  async settleBatch (payee: string, entries: SignedReceipt[], options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'settleBatch', batchArgs(payee, entries), options)
  }

  // ---------------------------------------------------------------- views

  async withdrawalDelay (options: CallOptions = {}): Promise<bigint> {
    return await this.read<bigint>(this.escrow, this.escrowIface, 'withdrawalDelay', [], options)
  }

  async withdrawalWindow (options: CallOptions = {}): Promise<bigint> {
    return await this.read<bigint>(this.escrow, this.escrowIface, 'withdrawalWindow', [], options)
  }

  async balanceOf (payer: string, options: CallOptions = {}): Promise<bigint> {
    return await this.read<bigint>(this.escrow, this.escrowIface, 'balanceOf', [toEvmAddress(payer)], options)
  }

  async paidOut (payer: string, payee: string, options: CallOptions = {}): Promise<bigint> {
    return await this.read<bigint>(this.escrow, this.escrowIface, 'paidOut', [toEvmAddress(payer), toEvmAddress(payee)], options)
  }

  async laneOf (payer: string, payee: string, options: CallOptions = {}): Promise<Lane> {
    const r = await this.readAll(this.escrow, this.escrowIface, 'laneOf', [toEvmAddress(payer), toEvmAddress(payee)], options)
    return { lane: r[0] as bigint, paidOut: r[1] as bigint }
  }

  async pendingWithdrawal (payer: string, options: CallOptions = {}): Promise<Withdrawal> {
    const w = await this.read<{ amount: bigint, unlockAt: bigint }>(this.escrow, this.escrowIface, 'withdrawalOf', [toEvmAddress(payer)], options)
    return { amount: w.amount, unlockAt: w.unlockAt }
  }

  async pendingRelease (payer: string, payee: string, options: CallOptions = {}): Promise<Withdrawal> {
    const w = await this.read<{ amount: bigint, unlockAt: bigint }>(this.escrow, this.escrowIface, 'releaseOf', [toEvmAddress(payer), toEvmAddress(payee)], options)
    return { amount: w.amount, unlockAt: w.unlockAt }
  }

  async signerOf (payer: string, options: CallOptions = {}): Promise<SignerInfo> {
    const r = await this.readAll(this.escrow, this.escrowIface, 'signerOf', [toEvmAddress(payer)], options)
    return { signer: getAddress(r[0] as string), previous: getAddress(r[1] as string), previousValidUntil: r[2] as bigint }
  }

  async domainSeparator (options: CallOptions = {}): Promise<string> {
    return await this.read<string>(this.escrow, this.escrowIface, 'domainSeparator', [], options)
  }

  /**
   * Throws ReceiptDomainMismatchError unless the escrow's own domain separator is the one this client signs
   * receipts for (its chain id and address): a receipt signed for another chain is worthless to its payee.
   */
  async checkReceiptDomain (options: CallOptions = {}): Promise<void> {
    const onChain = await this.domainSeparator(options)
    if (onChain !== receiptDomainSeparator({ chainId: this.chainId, escrow: this.escrow })) throw new ReceiptDomainMismatchError(this.escrow, this.chainId, onChain)
  }

  async hashReceipt (receipt: Receipt, options: CallOptions = {}): Promise<string> {
    return await this.read<string>(this.escrow, this.escrowIface, 'hashReceipt', [receiptTuple(receipt)], options)
  }
}
