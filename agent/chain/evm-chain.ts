/**
 * EscrowClient over ethers v6 and JSON-RPC: the local anvil chain (chain id = Nile) used for development,
 * tests and the demo. Addresses are 0x-hex.
 */
import { JsonRpcApiProvider, getAddress, type AbstractSigner, type Interface, type JsonRpcProvider, type Log, type TransactionReceipt } from 'ethers'
import { abortable, SerialQueue, throwIfAborted } from './abort.ts'
import { decodeRevert, escrowInterface, tokenInterface } from './abi.ts'
import { encodeBatch } from './batch-encoding.ts'
import type { CallOptions, EscrowClient, EscrowEvent, EventPage, SignedReceipt, SignerInfo, WriteResult, Withdrawal } from './client.ts'
import { BatchPayeeMismatchError, ChainRequestError, ReadOnlyClientError } from './errors.ts'
import { decodeEscrowLog } from './events.ts'
import type { Receipt } from '../pay/receipt.ts'

export interface EvmChainComponents {
  provider: JsonRpcProvider
  /** The account that sends transactions; omit for a read-only client. Must be connected to `provider`. */
  signer?: AbstractSigner
}

export interface EvmChainInit {
  /** The escrow's address (0x-hex). */
  escrow: string
  /** The chain id of the receipt domain (anvil is started with Nile's). */
  chainId: bigint
  /** The token's address; read from the escrow on first use when omitted. */
  token?: string
}

/** Walks ethers' nested error objects for revert data. */
export function revertDataOf (err: unknown): string | undefined {
  let e: unknown = err
  for (let i = 0; i < 6 && typeof e === 'object' && e !== null; i++) {
    const rec = e as { data?: unknown, error?: unknown, info?: { error?: unknown } }
    if (typeof rec.data === 'string' && rec.data.startsWith('0x')) return rec.data
    if (typeof rec.data === 'object' && rec.data !== null) {
      const inner = (rec.data as { data?: unknown }).data
      if (typeof inner === 'string' && inner.startsWith('0x')) return inner
    }
    e = rec.error ?? rec.info?.error
  }
  return undefined
}

/**
 * The signer's next nonce, asked past ethers' short-lived request cache (which would hand two quick
 * consecutive transactions the same nonce).
 */
export async function pendingNonce (signer: AbstractSigner): Promise<number> {
  const provider = signer.provider
  if (provider instanceof JsonRpcApiProvider) {
    return Number(await provider.send('eth_getTransactionCount', [await signer.getAddress(), 'pending']))
  }
  return await signer.getNonce('pending')
}

function isCallException (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'CALL_EXCEPTION' || revertDataOf(err) !== undefined
}

function toWriteError (err: unknown, txId?: string): Error {
  if (err instanceof Error && err.name === 'AbortError') return err
  if (isCallException(err)) return decodeRevert(revertDataOf(err), txId, (err as Error).message?.slice(0, 200) ?? '')
  return err instanceof Error ? err : new ChainRequestError(String(err), err)
}

export class EvmChain implements EscrowClient {
  readonly chainId: bigint
  readonly escrow: string
  readonly account: string | undefined
  private readonly provider: JsonRpcProvider
  private readonly signer: AbstractSigner | undefined
  private readonly escrowIface: Interface = escrowInterface()
  private readonly tokenIface: Interface = tokenInterface()
  private readonly sends = new SerialQueue()
  private tokenAddress: string | undefined

  private constructor (components: EvmChainComponents, init: EvmChainInit, account: string | undefined) {
    this.provider = components.provider
    this.signer = components.signer
    this.escrow = getAddress(init.escrow)
    this.chainId = init.chainId
    this.tokenAddress = init.token === undefined ? undefined : getAddress(init.token)
    this.account = account
  }

  /** Builds a client; resolves the signer's address once so `account` is synchronous. */
  static async create (components: EvmChainComponents, init: EvmChainInit, options: CallOptions = {}): Promise<EvmChain> {
    const account = components.signer === undefined ? undefined : getAddress(await abortable(components.signer.getAddress(), options.signal))
    return new EvmChain(components, init, account)
  }

  // ---------------------------------------------------------------- token

  async token (options: CallOptions = {}): Promise<string> {
    this.tokenAddress ??= getAddress(await this.read<string>(this.escrow, this.escrowIface, 'token', [], options))
    return this.tokenAddress
  }

  async tokenBalanceOf (owner: string, options: CallOptions = {}): Promise<bigint> {
    return await this.read<bigint>(await this.token(options), this.tokenIface, 'balanceOf', [getAddress(owner)], options)
  }

  async allowance (owner: string, options: CallOptions = {}): Promise<bigint> {
    return await this.read<bigint>(await this.token(options), this.tokenIface, 'allowance', [getAddress(owner), this.escrow], options)
  }

  async approve (amount: bigint, options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(await this.token(options), this.tokenIface, 'approve', [this.escrow, amount], options)
  }

  /** TestBTT's open faucet (dev and Nile only; BTT has no `mint`). */
  async mintTestBTT (to: string, amount: bigint, options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(await this.token(options), this.tokenIface, 'mint', [getAddress(to), amount], options)
  }

  // ---------------------------------------------------------------- payer

  async deposit (amount: bigint, options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'deposit', [amount], options)
  }

  async depositFor (payer: string, amount: bigint, options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'depositFor', [getAddress(payer), amount], options)
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
    return await this.write(this.escrow, this.escrowIface, 'setSigner', [getAddress(signer)], options)
  }

  // ---------------------------------------------------------------- payee or relayer

  async settle (receipt: Receipt, signature: string, options: CallOptions = {}): Promise<WriteResult> {
    return await this.write(this.escrow, this.escrowIface, 'settle', [receiptTuple(receipt), signature], options)
  }

  async settleBatch (payee: string, entries: SignedReceipt[], options: CallOptions = {}): Promise<WriteResult> {
    const to = getAddress(payee)
    entries.forEach((e, i) => {
      if (getAddress(e.receipt.payee) !== to) throw new BatchPayeeMismatchError(i, to, getAddress(e.receipt.payee))
    })
    return await this.write(this.escrow, this.escrowIface, 'settleBatch', [to, encodeBatch(entries)], options)
  }

  // ---------------------------------------------------------------- views

  async withdrawalDelay (options: CallOptions = {}): Promise<bigint> {
    return await this.read<bigint>(this.escrow, this.escrowIface, 'withdrawalDelay', [], options)
  }

  async balanceOf (payer: string, options: CallOptions = {}): Promise<bigint> {
    return await this.read<bigint>(this.escrow, this.escrowIface, 'balanceOf', [getAddress(payer)], options)
  }

  async paidOut (payer: string, payee: string, options: CallOptions = {}): Promise<bigint> {
    return await this.read<bigint>(this.escrow, this.escrowIface, 'paidOut', [getAddress(payer), getAddress(payee)], options)
  }

  async pendingWithdrawal (payer: string, options: CallOptions = {}): Promise<Withdrawal> {
    const w = await this.read<{ amount: bigint, unlockAt: bigint }>(this.escrow, this.escrowIface, 'withdrawalOf', [getAddress(payer)], options)
    return { amount: w.amount, unlockAt: w.unlockAt }
  }

  async signerOf (payer: string, options: CallOptions = {}): Promise<SignerInfo> {
    const r = await this.readAll(this.escrow, this.escrowIface, 'signerOf', [getAddress(payer)], options)
    return { signer: getAddress(r[0] as string), previous: getAddress(r[1] as string), previousValidUntil: r[2] as bigint }
  }

  async hashReceipt (receipt: Receipt, options: CallOptions = {}): Promise<string> {
    return await this.read<string>(this.escrow, this.escrowIface, 'hashReceipt', [receiptTuple(receipt)], options)
  }

  async blockNumber (options: CallOptions = {}): Promise<number> {
    return await abortable(this.provider.getBlockNumber(), options.signal)
  }

  async eventsSince (fromBlock: number, options: CallOptions = {}): Promise<EventPage> {
    const toBlock = await this.blockNumber(options)
    if (fromBlock > toBlock) return { events: [], toBlock: fromBlock - 1 }
    const logs = await abortable(this.provider.getLogs({ address: this.escrow, fromBlock, toBlock }), options.signal)
    return { events: this.decodeLogs(logs), toBlock }
  }

  // ---------------------------------------------------------------- internals

  private decodeLogs (logs: readonly Log[]): EscrowEvent[] {
    const out: EscrowEvent[] = []
    for (const log of logs) {
      if (getAddress(log.address) !== this.escrow) continue
      out.push(...decodeEscrowLog(log, { blockNumber: log.blockNumber, txId: log.transactionHash, logIndex: log.index }))
    }
    return out
  }

  private async readAll (to: string, iface: Interface, method: string, args: unknown[], options: CallOptions): Promise<readonly unknown[]> {
    throwIfAborted(options.signal)
    const data = iface.encodeFunctionData(method, args)
    let result: string
    try {
      result = await abortable(this.provider.call({ to, data }), options.signal)
    } catch (err) {
      throw toWriteError(err)
    }
    return iface.decodeFunctionResult(method, result)
  }

  private async read<T> (to: string, iface: Interface, method: string, args: unknown[], options: CallOptions): Promise<T> {
    return (await this.readAll(to, iface, method, args, options))[0] as T
  }

  private async write (to: string, iface: Interface, method: string, args: unknown[], options: CallOptions): Promise<WriteResult> {
    const signer = this.signer
    if (signer === undefined) throw new ReadOnlyClientError(method)
    throwIfAborted(options.signal)
    const data = iface.encodeFunctionData(method, args)
    // Estimate + send under one lock so concurrent writes take consecutive nonces; mining is awaited outside.
    const tx = await this.sends.run(async () => {
      throwIfAborted(options.signal)
      try {
        return await signer.sendTransaction({ to, data, nonce: await pendingNonce(signer) })
      } catch (err) {
        throw toWriteError(err)
      }
    })
    let receipt: TransactionReceipt | null
    try {
      receipt = await abortable(tx.wait(), options.signal)
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') throw err
      // Mined but reverted: replay the call at that block to recover the revert data.
      const mined = await this.provider.getTransactionReceipt(tx.hash)
      if (mined !== null && mined.status === 0) throw await this.replayRevert(to, data, mined)
      throw toWriteError(err, tx.hash)
    }
    if (receipt === null) throw new ChainRequestError(`${method}: transaction ${tx.hash} has no receipt`)
    return {
      txId: receipt.hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      events: this.decodeLogs(receipt.logs)
    }
  }

  private async replayRevert (to: string, data: string, mined: TransactionReceipt): Promise<Error> {
    try {
      await this.provider.call({ to, data, from: mined.from, blockTag: mined.blockNumber - 1 })
      return new ChainRequestError(`transaction ${mined.hash} reverted, but its replay succeeded`)
    } catch (err) {
      return toWriteError(err, mined.hash)
    }
  }
}

/** The Receipt struct as an ABI tuple (checksummed addresses). */
export function receiptTuple (receipt: Receipt): [string, string, bigint, bigint] {
  return [getAddress(receipt.payer), getAddress(receipt.payee), receipt.cumulativeBytes, receipt.cumulativeAmount]
}
