/**
 * EscrowClient over ethers v6 and JSON-RPC: the local anvil chain (chain id = Nile) used for development,
 * tests and the demo. Addresses are 0x-hex.
 */
import { JsonRpcApiProvider, getAddress, type AbstractSigner, type Interface, type JsonRpcProvider, type Log, type TransactionReceipt } from 'ethers'
import { abortable, SerialQueue, sleep, throwIfAborted } from './abort.ts'
import { decodeRevert } from './abi.ts'
import { EscrowContractClient } from './escrow-contract.ts'
import type { CallOptions, EscrowEvent, EventPage, EventsSinceOptions, WriteResult } from './client.ts'
import { ChainRequestError, ReadOnlyClientError } from './errors.ts'
import { decodeEscrowLog } from './events.ts'

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

/** A failed call or transaction as a typed error: a revert decoded to its custom error (with the tx id if mined). */
function toChainError (err: unknown, txId?: string): Error {
  if (err instanceof Error && err.name === 'AbortError') return err
  if (isCallException(err)) return decodeRevert(revertDataOf(err), txId, (err as Error).message?.slice(0, 200) ?? '')
  return err instanceof Error ? err : new ChainRequestError(String(err), err)
}

export class EvmChain extends EscrowContractClient {
  readonly chainId: bigint
  readonly escrow: string
  readonly feeUnit = 'wei'
  readonly account: string | undefined
  private readonly provider: JsonRpcProvider
  private readonly signer: AbstractSigner | undefined
  private readonly sends = new SerialQueue()

  private constructor (components: EvmChainComponents, init: EvmChainInit, account: string | undefined) {
    super(init.token)
    this.provider = components.provider
    this.signer = components.signer
    this.escrow = getAddress(init.escrow)
    this.chainId = init.chainId
    this.account = account
  }

  /** Builds a client; resolves the signer's address once so `account` is synchronous. */
  static async create (components: EvmChainComponents, init: EvmChainInit, options: CallOptions = {}): Promise<EvmChain> {
    const account = components.signer === undefined ? undefined : getAddress(await abortable(components.signer.getAddress(), options.signal))
    return new EvmChain(components, init, account)
  }

  async blockNumber (options: CallOptions = {}): Promise<number> {
    return await abortable(this.provider.getBlockNumber(), options.signal)
  }

  async feePrice (options: CallOptions = {}): Promise<bigint> {
    // eth_gasPrice, not getFeeData: one call, and what a legacy or EIP-1559 sender pays per gas at the moment
    return BigInt(await abortable(this.provider.send('eth_gasPrice', []) as Promise<string>, options.signal))
  }

  async eventsSince (fromBlock: number, options: EventsSinceOptions = {}): Promise<EventPage> {
    const head = await this.blockNumber(options)
    const toBlock = options.toBlock === undefined ? head : Math.min(options.toBlock, head)
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

  protected async readAll (to: string, iface: Interface, method: string, args: unknown[], options: CallOptions): Promise<readonly unknown[]> {
    throwIfAborted(options.signal)
    const data = iface.encodeFunctionData(method, args)
    let result: string
    try {
      result = await abortable(this.provider.call({ to, data }), options.signal)
    } catch (err) {
      throw toChainError(err)
    }
    return iface.decodeFunctionResult(method, result)
  }

  protected async coinBalance (owner: string, options: CallOptions): Promise<bigint> {
    throwIfAborted(options.signal)
    try {
      return await abortable(this.provider.getBalance(owner), options.signal)
    } catch (err) {
      throw toChainError(err)
    }
  }

  protected async write (to: string, iface: Interface, method: string, args: unknown[], options: CallOptions, value?: bigint): Promise<WriteResult> {
    const signer = this.signer
    if (signer === undefined) throw new ReadOnlyClientError(method)
    throwIfAborted(options.signal)
    const data = iface.encodeFunctionData(method, args)
    // Estimate + send under one lock so concurrent writes take consecutive nonces; mining is awaited outside.
    // Signed here and sent raw, not with signer.sendTransaction: ethers' broadcastTransaction parses the signed
    // transaction back and recovers its sender with its pure-JS curve (~13 ms a settlement, 27 ms the first, on
    // a payee's event loop mid-transfer, for an address we already know).
    const hash = await this.sends.run(async () => {
      throwIfAborted(options.signal)
      try {
        const populated = await signer.populateTransaction({ to, data, nonce: await pendingNonce(signer), ...(value !== undefined ? { value } : {}) })
        delete populated.from
        return await this.provider.send('eth_sendRawTransaction', [await signer.signTransaction(populated)]) as string
      } catch (err) {
        throw toChainError(err)
      }
    })
    let receipt: TransactionReceipt
    try {
      receipt = await this.mined(hash, options.signal)
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') throw err
      throw toChainError(err, hash)
    }
    // Mined but reverted: replay the call at that block to recover the revert data.
    if (receipt.status === 0) throw await this.replayRevert(to, data, receipt)
    return {
      txId: receipt.hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      fee: receipt.fee,
      events: this.decodeLogs(receipt.logs)
    }
  }

  /**
   * The receipt of `hash` once mined, asked at the provider's polling interval (anvil mines at once). Not
   * ethers' waitForTransaction, which prints "EEE" to stdout when a poll fails.
   */
  private async mined (hash: string, signal: AbortSignal | undefined): Promise<TransactionReceipt> {
    for (;;) {
      throwIfAborted(signal)
      const receipt = await abortable(this.provider.getTransactionReceipt(hash), signal)
      if (receipt !== null) return receipt
      await sleep(this.provider.pollingInterval, signal)
    }
  }

  /**
   * Replays a reverted transaction as a call on the state after its block, for the revert data. Not the state
   * before it: what made it revert is usually an earlier transaction of the same block (another settlement of
   * the same receipt), and the reverted one changed nothing.
   */
  private async replayRevert (to: string, data: string, mined: TransactionReceipt): Promise<Error> {
    try {
      await this.provider.call({ to, data, from: mined.from, blockTag: mined.blockNumber })
      return new ChainRequestError(`transaction ${mined.hash} reverted, but its replay succeeded`)
    } catch (err) {
      return toChainError(err, mined.hash)
    }
  }
}

export { receiptTuple } from './escrow-contract.ts'
