/**
 * Single JSON-RPC calls of the CLI's own, before (or beside) ethers' provider: the chain id that `openChain` checks
 * and the latest block's time (chain-time.ts). Over node:http(s), which ethers' provider loads anyway, not fetch:
 * the first fetch of a process loads undici, ~40 ms of a command that exits in ~0.2 s (docs/benchmarks.md).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { CliError } from './errors.ts'

/** A node that does not answer within this is reported as unreachable. */
const RPC_TIMEOUT_MS = 10_000

/**
 * One JSON-RPC call; its `result`. A node that cannot be reached (or does not answer within RPC_TIMEOUT_MS) is a
 * CliError (exit 1); an error the node returns is thrown as an Error with its message.
 */
export async function rpcCall (url: string, method: string, params: unknown[]): Promise<unknown> {
  let body: unknown
  try {
    body = await postJson(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw new CliError(`cannot reach the JSON-RPC endpoint ${url}: ${why}`, 'check --rpc and that the node (e.g. anvil) is running', 1)
  }
  const answer = (typeof body === 'object' && body !== null ? body : {}) as { result?: unknown, error?: { message?: unknown } }
  if (answer.error !== undefined) throw new Error(`${method}: ${String(answer.error.message)}`)
  return answer.result
}

/** Asks a JSON-RPC endpoint for its chain id; a clear CliError when it cannot be reached or is no EVM node. */
export async function rpcChainId (url: string): Promise<bigint> {
  let result: unknown
  try {
    result = await rpcCall(url, 'eth_chainId', [])
  } catch (err) {
    if (err instanceof CliError) throw err
    result = undefined
  }
  if (typeof result !== 'string') throw new CliError(`${url} did not answer eth_chainId`, 'point --rpc at an Ethereum JSON-RPC endpoint (anvil)', 2)
  return BigInt(result)
}

/** POSTs `body` as JSON and parses the answer; a socket silent for RPC_TIMEOUT_MS fails with ETIMEDOUT. */
async function postJson (url: string, body: string): Promise<unknown> {
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return await new Promise((resolve, reject) => {
    const req = send(target, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: RPC_TIMEOUT_MS }, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => { chunks.push(c) })
      res.on('error', reject)
      res.on('end', () => {
        let answer: unknown
        try { answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) } catch { reject(new Error(`HTTP ${res.statusCode ?? '?'} without a JSON answer`)); return }
        resolve(answer)
      })
    })
    req.on('timeout', () => { req.destroy(Object.assign(new Error(`no answer within ${RPC_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })) })
    req.on('error', reject)
    req.end(body)
  })
}
