/**
 * EscrowClient over tronweb 6 and java-tron's HTTP API: Nile and mainnet.
 *
 * Calls are ABI-encoded by ethers (the same Interface EvmChain uses), built into TriggerSmartContract
 * transactions locally by tronweb (`txLocal`, with a reference block fetched once per write), signed with the
 * account's key, simulated first so a revert surfaces as a typed error before any energy is burnt, broadcast,
 * and awaited until their info (energy, fee, logs) is available. Accepts base58, 41-hex or 0x-hex addresses.
 */
import { TronWeb } from 'tronweb'
import { computeAddress, type Interface } from 'ethers'
import { abortable, SerialQueue, sleep, throwIfAborted } from './abort.ts'
import { decodeRevert } from './abi.ts'
import { EscrowContractClient } from './escrow-contract.ts'
import type { CallOptions, EscrowEvent, EventPage, EventsSinceOptions, WriteResult } from './client.ts'
import { ChainRequestError, NativeAssetError, ReadOnlyClientError } from './errors.ts'
import { checkedFeeLimit, DEFAULT_BANDWIDTH_PRICE_SUN, DEFAULT_FEE_LIMIT_MARGIN_PERCENT, planTronBurn, type TronBurnPlan, type TronFeeInput } from './tron-fee.ts'
import { decodeEscrowLog } from './events.ts'
import { toEvmAddress, toTronAddress, toTronHex } from './tron-address.ts'
import { TronNode, type NodeTransactionInfo } from './tron-node.ts'
import { encodeTronCall, refBlockOf, type BlockHeaderRef } from './tron-call.ts'

export interface TronChainComponents {
  tronWeb: TronWeb
}

export interface TronChainInit {
  /** The escrow's address (base58, 41-hex or 0x-hex). */
  escrow: string
  /** The receipt domain's chain id (Nile 3448148188, mainnet 728126428). */
  chainId: bigint
  /** Hex private key of the sending account; omit for a read-only client. */
  privateKey?: string
  /** The token; read from the escrow on first use when omitted. */
  token?: string
  /**
   * The highest fee limit a write may set, in sun. Each write's limit is its energy estimate at today's price plus
   * `feeLimitMarginPercent`; a write whose limit would be higher is refused (FeeLimitExceededError).
   * @default 300_000_000 (300 TRX)
   */
  maxFeeLimitSun?: number
  /** @default 20 */
  feeLimitMarginPercent?: number
  /** @default 3000 (one TRON block) */
  pollIntervalMs?: number
  /** How long to wait for a broadcast transaction to be in a block. @default 90_000 */
  confirmTimeoutMs?: number
  /** Transaction lifetime. @default 60_000 */
  expirationMs?: number
  /** Where eventsSince looks: TronGrid's event API, or every block's transaction infos. @default 'event-api' */
  eventSource?: 'event-api' | 'blocks'
  /** Most blocks one eventsSince scans with eventSource 'blocks'. @default 1200 (one hour) */
  maxScanBlocks?: number
}

export interface TronConnectInit {
  /** e.g. https://nile.trongrid.io */
  fullHost: string
  /** TronGrid API key (header TRON-PRO-API-KEY). */
  apiKey?: string
}

interface BuildOptions { blockHeader?: BlockHeaderRef, signal?: AbortSignal, feeLimitSun?: bigint }
type CostInputs = Pick<TronFeeInput, 'energy' | 'energyPrice' | 'bandwidthPrice' | 'resources' | 'balanceSun'>

type Transaction = Awaited<ReturnType<TronWeb['transactionBuilder']['triggerSmartContract']>>['transaction']
type SignedTransaction = Transaction & { signature: string[] }

function logAddress (address: string): string {
  const hex = address.replace(/^0x/, '').toLowerCase()
  return hex.length === 42 && hex.startsWith('41') ? hex.slice(2) : hex
}

/**
 * The price in force from `wallet/getenergyprices` (or `getbandwidthprices`): its `prices` is the history
 * `time:price,time:price,...` (ms since the epoch : sun per unit), oldest first, so the last entry is today's
 * (energy: 100 sun since 2025-08-29; bandwidth: 1000).
 */
export function lastPriceOf (prices: string, endpoint = 'wallet/getenergyprices'): bigint {
  const last = prices.trim().split(',').at(-1) ?? ''
  const m = /^\s*\d+\s*:\s*(\d+)\s*$/.exec(last)
  if (m === null) throw new ChainRequestError(`${endpoint}: no price in ${JSON.stringify(prices.slice(0, 100))}`)
  return BigInt(m[1]!)
}

export class TronChain extends EscrowContractClient {
  readonly chainId: bigint
  readonly escrow: string
  readonly feeUnit = 'sun'
  readonly account: string | undefined
  private readonly tronWeb: TronWeb
  private readonly node: TronNode
  private readonly privateKey: string | undefined
  private readonly sends = new SerialQueue()
  private readonly init: Required<Pick<TronChainInit, 'maxFeeLimitSun' | 'feeLimitMarginPercent' | 'pollIntervalMs' | 'confirmTimeoutMs' | 'expirationMs' | 'eventSource' | 'maxScanBlocks'>>

  constructor (components: TronChainComponents, init: TronChainInit) {
    super(init.token)
    this.tronWeb = components.tronWeb
    this.node = new TronNode(components.tronWeb)
    this.escrow = toEvmAddress(init.escrow)
    this.chainId = init.chainId
    this.privateKey = init.privateKey === undefined ? undefined : init.privateKey.replace(/^0x/, '')
    this.account = this.privateKey === undefined ? undefined : computeAddress('0x' + this.privateKey)
    this.init = {
      maxFeeLimitSun: init.maxFeeLimitSun ?? 300_000_000,
      feeLimitMarginPercent: init.feeLimitMarginPercent ?? DEFAULT_FEE_LIMIT_MARGIN_PERCENT,
      pollIntervalMs: init.pollIntervalMs ?? 3_000,
      confirmTimeoutMs: init.confirmTimeoutMs ?? 90_000,
      expirationMs: init.expirationMs ?? 60_000,
      eventSource: init.eventSource ?? 'event-api',
      maxScanBlocks: init.maxScanBlocks ?? 1_200
    }
  }

  /** A TronWeb for `fullHost` (no key inside it: TronChain signs itself) and a client over it. */
  static connect (connect: TronConnectInit, init: TronChainInit): TronChain {
    const tronWeb = new TronWeb({
      fullHost: connect.fullHost,
      ...(connect.apiKey === undefined ? {} : { headers: { 'TRON-PRO-API-KEY': connect.apiKey } })
    })
    return new TronChain({ tronWeb }, init)
  }

  /** The account as base58, for humans. */
  get accountBase58 (): string | undefined {
    return this.account === undefined ? undefined : toTronAddress(this.account)
  }

  async blockNumber (options: CallOptions = {}): Promise<number> {
    return (await this.node.nowBlock(options.signal)).block_header.raw_data.number
  }

  async feePrice (options: CallOptions = {}): Promise<bigint> {
    return lastPriceOf(await this.node.prices('wallet/getenergyprices', options.signal))
  }

  async eventsSince (fromBlock: number, options: EventsSinceOptions = {}): Promise<EventPage> {
    const newest = await this.blockNumber(options)
    // `head` is the last block this page covers: the newest block, or the caller's cap (confirmation depth).
    const head = options.toBlock === undefined ? newest : Math.min(options.toBlock, newest)
    if (fromBlock > head) return { events: [], toBlock: fromBlock - 1 }
    const events: EscrowEvent[] = []
    if (this.init.eventSource === 'blocks') {
      const toBlock = Math.min(head, fromBlock + this.init.maxScanBlocks - 1)
      for (let n = fromBlock; n <= toBlock; n++) {
        for (const info of await this.node.transactionInfosOfBlock(n, options.signal)) events.push(...this.decodeInfo(info))
      }
      return { events, toBlock }
    }
    const since = (await this.node.blockByNumber(fromBlock, options.signal)).block_header.raw_data.timestamp
    const listed = await this.node.contractEvents(toTronAddress(this.escrow), since, false, options.signal)
    const txs = new Map<string, number>()
    for (const e of listed) {
      if (e.block_number >= fromBlock && e.block_number <= head && !txs.has(e.transaction_id)) txs.set(e.transaction_id, e.block_number)
    }
    const ordered = [...txs.entries()].sort((a, b) => a[1] - b[1])
    for (const [txId] of ordered) events.push(...this.decodeInfo(await this.node.transactionInfo(txId, options.signal)))
    return { events, toBlock: head }
  }

  // ---------------------------------------------------------------- transactions

  /**
   * Builds (does not send) the TriggerSmartContract transaction for `method` on `to`. With `blockHeader` it
   * needs no node at all; without, it references the node's current block. `feeLimitSun` defaults to the maximum.
   */
  async buildTransaction (to: string, iface: Interface, method: string, args: readonly unknown[], opts: BuildOptions = {}): Promise<Transaction> {
    const owner = this.account
    if (owner === undefined) throw new ReadOnlyClientError(method)
    const { selector, parameter } = encodeTronCall(iface, method, args)
    const blockHeader = opts.blockHeader ?? refBlockOf(await this.node.nowBlock(opts.signal), this.init.expirationMs)
    const built = await this.tronWeb.transactionBuilder.triggerSmartContract(toTronHex(to), selector, {
      feeLimit: Number(opts.feeLimitSun ?? BigInt(this.init.maxFeeLimitSun)),
      rawParameter: parameter.slice(2),
      txLocal: true,
      blockHeader
    }, [], toTronHex(owner))
    return built.transaction
  }

  /** Signs a transaction built by `buildTransaction` with the account's key. */
  async signTransaction (tx: Transaction): Promise<SignedTransaction> {
    if (this.privateKey === undefined) throw new ReadOnlyClientError('signTransaction')
    return await this.tronWeb.trx.sign(tx, this.privateKey)
  }

  /** Builds a call to the escrow (`target` 'escrow') or its token; exposed for offline checks and tooling. */
  async buildCall (target: 'escrow' | 'token', method: string, args: readonly unknown[], opts: BuildOptions = {}): Promise<Transaction> {
    const to = target === 'escrow' ? this.escrow : await this.token(opts)
    return await this.buildTransaction(to, target === 'escrow' ? this.escrowIface : this.tokenIface, method, args, opts)
  }

  // ---------------------------------------------------------------- internals

  private decodeInfo (info: NodeTransactionInfo): EscrowEvent[] {
    const out: EscrowEvent[] = []
    const escrow = this.escrow.slice(2).toLowerCase()
    const txId = info.id ?? ''
    const blockNumber = info.blockNumber ?? 0
    ;(info.log ?? []).forEach((log, logIndex) => {
      if (logAddress(log.address) !== escrow) return
      out.push(...decodeEscrowLog(log, { blockNumber, txId, logIndex }))
    })
    return out
  }

  protected async readAll (to: string, iface: Interface, method: string, args: unknown[], options: CallOptions): Promise<readonly unknown[]> {
    throwIfAborted(options.signal)
    const { selector, parameter } = encodeTronCall(iface, method, args)
    const res = await this.node.constantCall(toTronHex(this.account ?? this.escrow), toTronHex(to), selector, parameter, options.signal)
    if (!res.ok) throw decodeRevert(res.output, undefined, res.message ?? '')
    return iface.decodeFunctionResult(method, res.output)
  }

  /** TRON's escrow holds BTT as a TRC-20 token; a native-coin escrow is for EVM chains (BitTorrent Chain). */
  protected async coinBalance (_owner: string, _options: CallOptions): Promise<bigint> {
    return await Promise.reject(new NativeAssetError('balance', 'a native-coin escrow is not supported on TRON: use the TRC-20 escrow'))
  }

  protected async write (to: string, iface: Interface, method: string, args: unknown[], options: CallOptions, value?: bigint): Promise<WriteResult> {
    if (value !== undefined) throw new NativeAssetError(method, 'a native-coin escrow is not supported on TRON: use the TRC-20 escrow')
    const owner = this.account
    if (owner === undefined) throw new ReadOnlyClientError(method)
    const { signal } = options
    throwIfAborted(signal)
    const { selector, parameter } = encodeTronCall(iface, method, args)
    // Simulate first: a revert becomes a typed error and burns nothing.
    const sim = await this.node.constantCall(toTronHex(owner), toTronHex(to), selector, parameter, signal)
    if (!sim.ok) throw decodeRevert(sim.output, undefined, sim.message ?? '')
    const cost = await this.costInputs(owner, to, selector, parameter, sim.energyUsed, signal)
    const feeLimitSun = checkedFeeLimit(method, cost.energy, cost.energyPrice, this.init.feeLimitMarginPercent, BigInt(this.init.maxFeeLimitSun))
    const txId = await this.sends.run(async () => {
      const tx = await this.buildTransaction(to, iface, method, args, { signal, feeLimitSun })
      const signed = await this.signTransaction(tx)
      // Refused here, before anything is sent, if the account holds less TRX than it would burn (bandwidth needs the size).
      this.planBurn(method, owner, cost, signed)
      throwIfAborted(signal)
      const sent = await abortable(this.tronWeb.trx.sendRawTransaction(signed), signal)
      if (sent.result !== true) {
        throw new ChainRequestError(`${method}: broadcast rejected: ${sent.code} ${Buffer.from(sent.message ?? '', 'hex').toString('utf8')}`, sent)
      }
      return signed.txID
    })
    const info = await this.waitForInfo(txId, signal)
    const result = info.receipt?.result
    if (result === 'REVERT' || info.result === 'FAILED') {
      if (result === 'REVERT') throw decodeRevert('0x' + (info.contractResult?.[0] ?? ''), txId, info.resMessage ?? '')
      throw new ChainRequestError(`${method}: transaction ${txId} failed: ${result ?? ''} ${Buffer.from(info.resMessage ?? '', 'hex').toString('utf8')}`, info)
    }
    return {
      txId,
      blockNumber: info.blockNumber ?? 0,
      gasUsed: BigInt(info.receipt?.energy_usage_total ?? 0),
      fee: BigInt(info.fee ?? 0),
      events: this.decodeInfo(info)
    }
  }

  /** The figures a write's cost is planned from, read in parallel: the energy estimate, prices, resources, balance. */
  private async costInputs (owner: string, to: string, selector: string, parameter: string, simulated: number, signal: AbortSignal | undefined): Promise<CostInputs> {
    const [estimate, energyPrice, bandwidthPrice, resources, balanceSun] = await Promise.all([
      this.node.estimateEnergy(toTronHex(owner), toTronHex(to), selector, parameter, signal),
      this.feePrice({ signal }),
      this.node.prices('wallet/getbandwidthprices', signal)
        .then(p => lastPriceOf(p, 'wallet/getbandwidthprices'), () => DEFAULT_BANDWIDTH_PRICE_SUN),
      this.node.accountResources(toTronHex(owner), signal),
      this.node.balanceSun(toTronHex(owner), signal)
    ])
    // The larger of the two: estimateenergy counts what the constant call's accounting leaves out.
    return { energy: BigInt(Math.max(estimate ?? 0, simulated)), energyPrice, bandwidthPrice, resources, balanceSun }
  }

  private planBurn (method: string, owner: string, cost: CostInputs, signed: SignedTransaction): TronBurnPlan {
    return planTronBurn({ method, account: owner, ...cost, txBytes: signed.raw_data_hex.length / 2 + 65 * signed.signature.length })
  }

  private async waitForInfo (txId: string, signal: AbortSignal | undefined): Promise<NodeTransactionInfo> {
    const deadline = Date.now() + this.init.confirmTimeoutMs
    while (true) {
      const info = await this.node.transactionInfo(txId, signal)
      if (info.blockNumber !== undefined) return info
      if (Date.now() > deadline) {
        throw new ChainRequestError(`transaction ${txId} not in a block after ${this.init.confirmTimeoutMs} ms (it may still be; retrying is safe)`)
      }
      await sleep(this.init.pollIntervalMs, signal)
    }
  }
}
