/** The chain's own clock: release and withdrawal expiry follow block time, which a test chain need not share with ours. */
import type { ChainTarget } from './chain-options.ts'
import { rpcCall } from './json-rpc.ts'

/** The latest block's timestamp on an EVM node; the local clock on TRON (blocks carry wall-clock time, 3 s apart). */
export async function chainNow (target: Pick<ChainTarget, 'kind' | 'url'>): Promise<bigint> {
  const local = BigInt(Math.floor(Date.now() / 1000))
  if (target.kind !== 'evm') return local
  const block = await rpcCall(target.url, 'eth_getBlockByNumber', ['latest', false]) as { timestamp?: unknown } | null
  return typeof block?.timestamp === 'string' ? BigInt(block.timestamp) : local
}
