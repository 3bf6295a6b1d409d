/**
 * A stand-in for java-tron's HTTP API (and TronGrid's event API) backed by anvil, so TronChain's network path
 * runs here: TAPOS block reference, constant calls, broadcast of a signed TriggerSmartContract, transaction
 * info with energy and logs, block scans and the event API. Not a TRON node: it checks the transaction's
 * signature recovers to its owner, then has anvil execute the call as that owner (impersonated).
 * Only the endpoints TronChain uses are served.
 *
 * Fees follow TRON's rules, simplified: energy is priced at `energyPrice` sun, an account's staked energy
 * (`setResources`) is used first and the rest burnt from its TRX balance (`setBalance`; 1,000,000 TRX unless
 * set), bandwidth is free (a large free allowance) unless an account's resources say otherwise, and a call whose
 * energy priced exceeds the transaction's `fee_limit` is not executed: it fails with OUT_OF_ENERGY and burns the
 * whole limit, as java-tron does. `underestimatePercent` makes the estimates low, to test that.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { AddressInfo } from 'node:net'
import { JsonRpcProvider, getAddress, id, recoverAddress, type Log, type TransactionReceipt } from 'ethers'
import { escrowInterface } from '../../../agent/chain/abi.ts'

interface TriggerValue { owner_address: string, contract_address: string, data: string }
interface SignedTx { txID: string, signature: string[], raw_data_hex: string, raw_data: { contract: Array<{ parameter: { value: TriggerValue } }>, expiration: number, fee_limit?: number } }
export interface ShimResources { EnergyLimit?: number, EnergyUsed?: number, freeNetLimit?: number, freeNetUsed?: number, NetLimit?: number, NetUsed?: number }

const DEFAULT_BALANCE_SUN = 1_000_000n * 1_000_000n
const BANDWIDTH_PRICE = 1_000n

function evm (hex41: string): string {
  return getAddress('0x' + hex41.replace(/^0x/, '').slice(-40))
}

function strip (hex: string): string {
  return hex.replace(/^0x/, '')
}

export class TronShim {
  readonly url: string
  /** TRON txID (sha256 of raw_data) → anvil transaction hash. */
  private readonly txs = new Map<string, string>()
  private readonly byHash = new Map<string, string>()
  /** Sun per energy served by getenergyprices and charged. */
  energyPrice = 100n
  /** Estimates (constant calls, estimateenergy) report this much less energy than the call uses. */
  underestimatePercent = 0
  /** Every transaction broadcast and accepted, oldest first (fee_limit and all). */
  readonly broadcasts: SignedTx[] = []
  private readonly balances = new Map<string, bigint>()
  private readonly resources = new Map<string, ShimResources>()
  /** Transactions the shim failed itself (OUT_OF_ENERGY): their info, by TRON txID. */
  private readonly failedInfos = new Map<string, unknown>()
  /** What a broadcast transaction is charged once mined: its size and payer. */
  private readonly fees = new Map<string, { txBytes: number, owner: string, fee?: bigint }>()
  private constructor (private readonly server: Server, private readonly provider: JsonRpcProvider, port: number) {
    this.url = `http://127.0.0.1:${port}`
  }

  static async start (provider: JsonRpcProvider): Promise<TronShim> {
    // eslint-disable-next-line prefer-const -- the server's handler reads it before the assignment below
    let shim: TronShim | undefined
    const server = createServer((req, res) => { shim!.handle(req, res).catch((err: unknown) => { res.writeHead(500).end(String(err)) }) })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    shim = new TronShim(server, provider, (server.address() as AddressInfo).port)
    return shim
  }

  /** An account's TRX balance, in sun (0x-hex address). */
  setBalance (account: string, sun: bigint): void { this.balances.set(getAddress(account), sun) }
  balanceOf (account: string): bigint { return this.balances.get(getAddress(account)) ?? DEFAULT_BALANCE_SUN }
  /** An account's staked energy and bandwidth and what it has used of them. */
  setResources (account: string, r: ShimResources): void { this.resources.set(getAddress(account), { ...r }) }
  private resourcesOf (account: string): ShimResources {
    return this.resources.get(getAddress(account)) ?? { freeNetLimit: 1_000_000, freeNetUsed: 0 }
  }

  async stop (): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>(resolve => this.server.close(() => { resolve() }))
  }

  private async body (req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    return text === '' ? {} : JSON.parse(text) as Record<string, unknown>
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url)
    const body = req.method === 'POST' ? await this.body(req) : {}
    const reply = (json: unknown): void => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json)) }
    const path = url.pathname.replace(/^\/+/, '')
    if (path === 'wallet/getnowblock') return reply(await this.block('latest'))
    if (path === 'wallet/getblockbynum') return reply(await this.block(Number(body.num)))
    if (path === 'wallet/triggerconstantcontract') return reply(await this.constant(body))
    if (path === 'wallet/broadcasttransaction') return reply(await this.broadcast(body as unknown as SignedTx))
    if (path === 'wallet/gettransactioninfobyid') return reply(await this.info(String(body.value)))
    if (path === 'wallet/gettransactioninfobyblocknum') return reply(await this.infosOfBlock(Number(body.num)))
    if (path === 'wallet/estimateenergy') return reply(await this.estimate(body))
    if (path === 'wallet/getenergyprices') return reply({ prices: `0:420,1756432800000:${this.energyPrice}` })
    if (path === 'wallet/getbandwidthprices') return reply({ prices: `0:${BANDWIDTH_PRICE}` })
    if (path === 'wallet/getaccount') return reply({ balance: Number(this.balanceOf(evm(String(body.address)))) })
    if (path === 'wallet/getaccountresource') return reply(this.resourcesOf(evm(String(body.address))))
    const events = /^v1\/contracts\/([^/]+)\/events$/.exec(path)
    if (events !== null) return reply(await this.events(url.searchParams))
    res.writeHead(404).end(`shim: no ${path}`)
  }

  private async block (tag: number | 'latest'): Promise<unknown> {
    const b = await this.provider.getBlock(tag)
    if (b === null) return {}
    return { blockID: strip(b.hash!), block_header: { raw_data: { number: b.number, timestamp: b.timestamp * 1000 } } }
  }

  private async constant (body: Record<string, unknown>): Promise<unknown> {
    const data = id(String(body.function_selector)).slice(0, 10) + String(body.parameter as string | undefined ?? '')
    try {
      const out = await this.provider.call({ from: evm(String(body.owner_address)), to: evm(String(body.contract_address)), data })
      const gas = await this.provider.estimateGas({ from: evm(String(body.owner_address)), to: evm(String(body.contract_address)), data })
      return { result: { result: true }, energy_used: this.estimated(gas), constant_result: [strip(out)] }
    } catch (err) {
      const revert = (err as { data?: string }).data ?? '0x'
      return { result: { code: 'CONTRACT_EXE_ERROR', message: Buffer.from('REVERT opcode executed').toString('hex') }, constant_result: [strip(revert)] }
    }
  }

  private estimated (gas: bigint): number {
    return Number(gas * BigInt(100 - this.underestimatePercent) / 100n)
  }

  private async estimate (body: Record<string, unknown>): Promise<unknown> {
    const data = id(String(body.function_selector)).slice(0, 10) + String(body.parameter as string | undefined ?? '')
    try {
      const gas = await this.provider.estimateGas({ from: evm(String(body.owner_address)), to: evm(String(body.contract_address)), data })
      return { result: { result: true }, energy_required: this.estimated(gas) }
    } catch {
      return { result: { code: 'CONTRACT_EXE_ERROR' } }
    }
  }

  /** Burns what the energy (beyond the staked) and the bandwidth (beyond the allowances) cost; returns the fee. */
  private charge (owner: string, energy: bigint, txBytes: number): bigint {
    const r = this.resourcesOf(owner)
    const staked = BigInt(Math.max(0, (r.EnergyLimit ?? 0) - (r.EnergyUsed ?? 0)))
    const fromStake = energy < staked ? energy : staked
    r.EnergyUsed = (r.EnergyUsed ?? 0) + Number(fromStake)
    let fee = (energy - fromStake) * this.energyPrice
    const bytes = txBytes + 64
    if ((r.NetLimit ?? 0) - (r.NetUsed ?? 0) >= bytes) r.NetUsed = (r.NetUsed ?? 0) + bytes
    else if ((r.freeNetLimit ?? 0) - (r.freeNetUsed ?? 0) >= bytes) r.freeNetUsed = (r.freeNetUsed ?? 0) + bytes
    else fee += BigInt(bytes) * BANDWIDTH_PRICE
    this.resources.set(getAddress(owner), r)
    this.balances.set(getAddress(owner), this.balanceOf(owner) - fee)
    return fee
  }

  private async broadcast (tx: SignedTx): Promise<unknown> {
    const value = tx.raw_data.contract[0]!.parameter.value
    const owner = evm(value.owner_address)
    if (tx.signature.length !== 1 || recoverAddress('0x' + tx.txID, '0x' + tx.signature[0]!) !== owner) {
      return { result: false, code: 'SIGERROR', message: Buffer.from('Validate signature error').toString('hex') }
    }
    if (tx.raw_data.expiration < Date.now()) return { result: false, code: 'TRANSACTION_EXPIRATION_ERROR', message: '' }
    this.broadcasts.push(tx)
    const txBytes = tx.raw_data_hex.length / 2 + 65
    const feeLimit = BigInt(tx.raw_data.fee_limit ?? 0)
    const needed = await this.provider.estimateGas({ from: owner, to: evm(value.contract_address), data: '0x' + value.data })
    if (needed * this.energyPrice > feeLimit) {
      // java-tron runs the call until the limit's energy is gone, reverts it, and keeps the limit as the fee.
      const block = await this.provider.getBlock('latest')
      this.balances.set(owner, this.balanceOf(owner) - feeLimit)
      this.failedInfos.set(tx.txID, {
        id: tx.txID, blockNumber: block!.number, blockTimeStamp: block!.timestamp * 1000, fee: Number(feeLimit), contractResult: [''],
        receipt: { energy_usage_total: Number(feeLimit / this.energyPrice), result: 'OUT_OF_ENERGY' }, log: [], result: 'FAILED',
        resMessage: Buffer.from('Not enough energy').toString('hex')
      })
      return { result: true, txid: tx.txID }
    }
    await this.provider.send('anvil_impersonateAccount', [owner])
    await this.provider.send('anvil_setBalance', [owner, '0x56bc75e2d63100000'])
    const hash = await this.provider.send('eth_sendTransaction', [{ from: owner, to: evm(value.contract_address), data: '0x' + value.data, gas: '0x1c9c380' }]) as string
    await this.provider.send('anvil_stopImpersonatingAccount', [owner])
    this.txs.set(tx.txID, hash)
    this.byHash.set(hash, tx.txID)
    this.fees.set(tx.txID, { txBytes, owner })
    // anvil mines at once here: the fee is burnt now, as java-tron does when the block is made
    const mined = await this.provider.getTransactionReceipt(hash)
    if (mined !== null) this.feeOf(tx.txID, mined.gasUsed)
    return { result: true, txid: tx.txID }
  }

  private async infoOf (receipt: TransactionReceipt, txId: string): Promise<unknown> {
    const block = await this.provider.getBlock(receipt.blockNumber)
    let contractResult = ''
    if (receipt.status !== 1) {
      const tx = await this.provider.getTransaction(receipt.hash)
      try {
        await this.provider.call({ from: tx!.from, to: tx!.to, data: tx!.data, blockTag: receipt.blockNumber - 1 })
      } catch (err) {
        contractResult = strip((err as { data?: string }).data ?? '')
      }
    }
    return {
      id: txId,
      blockNumber: receipt.blockNumber,
      blockTimeStamp: block!.timestamp * 1000,
      fee: Number(this.feeOf(txId, receipt.gasUsed)),
      contractResult: [contractResult],
      receipt: { energy_usage_total: Number(receipt.gasUsed), result: receipt.status === 1 ? 'SUCCESS' : 'REVERT' },
      log: receipt.logs.map((l: Log) => ({ address: strip(l.address).toLowerCase(), topics: l.topics.map(strip), data: strip(l.data) })),
      ...(receipt.status === 1 ? {} : { result: 'FAILED', resMessage: Buffer.from('REVERT opcode executed').toString('hex') })
    }
  }

  /** Charged once per transaction (the fee is what its info reports). */
  private feeOf (txId: string, energy: bigint): bigint {
    const f = this.fees.get(strip(txId))
    if (f === undefined) return 0n
    f.fee ??= this.charge(f.owner, energy, f.txBytes)
    return f.fee
  }

  private txIdOf (hash: string): string {
    return this.byHash.get(hash) ?? strip(hash)
  }

  private async info (txId: string): Promise<unknown> {
    const failed = this.failedInfos.get(strip(txId))
    if (failed !== undefined) return failed
    const hash = this.txs.get(strip(txId)) ?? '0x' + strip(txId)
    const receipt = await this.provider.getTransactionReceipt(hash)
    return receipt === null ? {} : await this.infoOf(receipt, txId)
  }

  private async infosOfBlock (num: number): Promise<unknown[]> {
    const block = await this.provider.getBlock(num)
    const out: unknown[] = []
    for (const hash of block?.transactions ?? []) {
      const receipt = await this.provider.getTransactionReceipt(hash)
      if (receipt !== null) out.push(await this.infoOf(receipt, this.txIdOf(hash)))
    }
    return out
  }

  /** TronGrid's event API over all logs of the chain (address filter ignored: one escrow per test chain). */
  private async events (q: URLSearchParams): Promise<unknown> {
    const min = Number(q.get('min_block_timestamp') ?? 0)
    const logs = await this.provider.getLogs({ fromBlock: 0, toBlock: 'latest' })
    const iface = escrowInterface()
    const data: unknown[] = []
    for (const l of logs) {
      const block = await this.provider.getBlock(l.blockNumber)
      const ts = block!.timestamp * 1000
      if (ts < min) continue
      const parsed = iface.parseLog(l)
      data.push({ block_number: l.blockNumber, block_timestamp: ts, transaction_id: this.txIdOf(l.transactionHash), event_index: l.index, event_name: parsed?.name ?? '' })
    }
    return { success: true, data, meta: { at: Date.now(), page_size: data.length } }
  }
}
