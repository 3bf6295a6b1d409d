/** The chain's own clock: release and withdrawal expiry follow block time, which a test chain need not share with ours. */
import type { ChainTarget } from './chain-options.ts'

/** The latest block's timestamp on an EVM node; the local clock on TRON (blocks carry wall-clock time, 3 s apart). */
export async function chainNow (target: Pick<ChainTarget, 'kind' | 'url'>): Promise<bigint> {
  if (target.kind !== 'evm') return BigInt(Math.floor(Date.now() / 1000))
  const res = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: ['latest', false] }),
    signal: AbortSignal.timeout(10_000)
  })
  const body = await res.json() as { result?: { timestamp?: unknown } }
  const ts = body.result?.timestamp
  return typeof ts === 'string' ? BigInt(ts) : BigInt(Math.floor(Date.now() / 1000))
}
