/**
 * The few java-tron HTTP endpoints TronChain needs, typed at the boundary. tronweb builds and signs
 * transactions; these calls go through its configured providers (`tronWeb.fullNode`, `tronWeb.eventServer`),
 * so API-key headers and hosts are configured once, on the TronWeb instance.
 */
import type { TronWeb } from 'tronweb'
import { abortable } from './abort.ts'
import { ChainRequestError } from './errors.ts'

/** `wallet/triggerconstantcontract`: the result of simulating a call. */
export interface ConstantCallResult {
  ok: boolean
  /** Return data (or revert data when !ok), 0x-hex. */
  output: string
  energyUsed: number
  message: string | undefined
}

/** `wallet/getaccountresource`: what the account has staked (energy, bandwidth) and used of it; absent fields are 0. */
export interface NodeAccountResources {
  EnergyLimit?: number
  EnergyUsed?: number
  freeNetLimit?: number
  freeNetUsed?: number
  NetLimit?: number
  NetUsed?: number
}

export interface NodeLog {
  /** 20-byte hex, no prefix (TRON omits the 41). */
  address: string
  topics: string[]
  data: string
}

/** `wallet/gettransactioninfobyid`; `{}` until the transaction is in a block. */
export interface NodeTransactionInfo {
  id?: string
  blockNumber?: number
  blockTimeStamp?: number
  fee?: number
  contractResult?: string[]
  receipt?: { energy_usage_total?: number, energy_usage?: number, energy_fee?: number, net_usage?: number, result?: string }
  log?: NodeLog[]
  result?: string
  resMessage?: string
}

export interface NodeBlock {
  blockID: string
  block_header: { raw_data: { number: number, timestamp: number } }
}

export interface NodeEvent {
  block_number: number
  block_timestamp: number
  transaction_id: string
  event_index: number
  event_name: string
}

function hexOf (s: string | undefined): string {
  if (s === undefined || s === '') return '0x'
  return s.startsWith('0x') ? s : '0x' + s
}

function utf8OfHex (s: string | undefined): string | undefined {
  if (s === undefined) return undefined
  try {
    return Buffer.from(s.replace(/^0x/, ''), 'hex').toString('utf8')
  } catch {
    return s
  }
}

export class TronNode {
  constructor (private readonly tronWeb: TronWeb) {}

  private async post<T> (path: string, payload: object, signal: AbortSignal | undefined): Promise<T> {
    try {
      return await abortable(this.tronWeb.fullNode.request<T>(path, payload, 'post'), signal)
    } catch (err) {
      if (signal?.aborted === true) throw err
      throw new ChainRequestError(`${path}: ${(err as Error).message ?? String(err)}`, err)
    }
  }

  /** Simulates a call from `owner` (41-hex) to `contract` (41-hex). */
  async constantCall (owner: string, contract: string, selector: string, parameter: string, signal?: AbortSignal): Promise<ConstantCallResult> {
    const res = await this.post<{
      result?: { result?: boolean, code?: string, message?: string }
      energy_used?: number
      constant_result?: string[]
      Error?: string
    }>('wallet/triggerconstantcontract', {
      owner_address: owner,
      contract_address: contract,
      function_selector: selector,
      parameter: parameter.replace(/^0x/, ''),
      visible: false
    }, signal)
    if (res.Error !== undefined) throw new ChainRequestError(`triggerconstantcontract ${selector}: ${res.Error}`, res)
    const ok = res.result?.result === true && res.result.code === undefined
    return {
      ok,
      output: hexOf(res.constant_result?.[0]),
      energyUsed: res.energy_used ?? 0,
      message: utf8OfHex(res.result?.message)
    }
  }

  /**
   * `wallet/estimateenergy` (java-tron 4.7.1+, on when the node runs with `vm.estimateEnergy`): the energy a call
   * needs, which can exceed what the constant call used (energy refunds, call-depth costs). Null where the node
   * does not offer it; the caller falls back on the constant call's `energy_used`.
   */
  async estimateEnergy (owner: string, contract: string, selector: string, parameter: string, signal?: AbortSignal): Promise<number | null> {
    let res: { result?: { result?: boolean }, energy_required?: number }
    try {
      res = await this.post('wallet/estimateenergy', {
        owner_address: owner, contract_address: contract, function_selector: selector, parameter: parameter.replace(/^0x/, ''), visible: false
      }, signal)
    } catch (err) {
      if (signal?.aborted === true) throw err
      return null
    }
    return res.result?.result === true && typeof res.energy_required === 'number' ? res.energy_required : null
  }

  async accountResources (owner: string, signal?: AbortSignal): Promise<NodeAccountResources> {
    return await this.post<NodeAccountResources>('wallet/getaccountresource', { address: owner, visible: false }, signal)
  }

  /** The account's TRX balance in sun (0 for an account not yet activated). */
  async balanceSun (owner: string, signal?: AbortSignal): Promise<bigint> {
    const res = await this.post<{ balance?: number }>('wallet/getaccount', { address: owner, visible: false }, signal)
    return BigInt(res.balance ?? 0)
  }

  /** A price history endpoint (`getenergyprices`, `getbandwidthprices`): `time:price,...`, oldest first. */
  async prices (path: 'wallet/getenergyprices' | 'wallet/getbandwidthprices', signal?: AbortSignal): Promise<string> {
    return (await this.post<{ prices?: string }>(path, {}, signal)).prices ?? ''
  }

  async transactionInfo (txId: string, signal?: AbortSignal): Promise<NodeTransactionInfo> {
    return await this.post<NodeTransactionInfo>('wallet/gettransactioninfobyid', { value: txId.replace(/^0x/, '') }, signal)
  }

  async nowBlock (signal?: AbortSignal): Promise<NodeBlock> {
    return await this.post<NodeBlock>('wallet/getnowblock', {}, signal)
  }

  async blockByNumber (num: number, signal?: AbortSignal): Promise<NodeBlock> {
    const block = await this.post<Partial<NodeBlock>>('wallet/getblockbynum', { num }, signal)
    if (block.block_header === undefined || block.blockID === undefined) throw new ChainRequestError(`block ${num} not found`, block)
    return block as NodeBlock
  }

  /** Every transaction info of one block (used by the block-scanning event source). */
  async transactionInfosOfBlock (num: number, signal?: AbortSignal): Promise<NodeTransactionInfo[]> {
    const res = await this.post<NodeTransactionInfo[] | Record<string, never>>('wallet/gettransactioninfobyblocknum', { num }, signal)
    return Array.isArray(res) ? res : []
  }

  /** Pages through the event API (TronGrid `v1/contracts/{address}/events`), oldest first. */
  async contractEvents (contractBase58: string, minBlockTimestamp: number, onlyConfirmed: boolean, signal?: AbortSignal): Promise<NodeEvent[]> {
    const out: NodeEvent[] = []
    let fingerprint: string | undefined
    for (let page = 0; page < 1000; page++) {
      const res = await abortable(this.tronWeb.event.getEventsByContractAddress(contractBase58, {
        minBlockTimestamp,
        orderBy: 'block_timestamp,asc',
        limit: 200,
        ...(onlyConfirmed ? { onlyConfirmed: true } : {}),
        ...(fingerprint === undefined ? {} : { fingerprint })
      }), signal)
      if (res.success !== true) throw new ChainRequestError(`event API: ${res.error ?? 'failed'}`, res)
      for (const e of res.data ?? []) out.push(e)
      fingerprint = res.meta?.fingerprint
      if (fingerprint === undefined || (res.data ?? []).length === 0) return out
    }
    throw new ChainRequestError('event API: more than 1000 pages; scan a shorter range')
  }
}
