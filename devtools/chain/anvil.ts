/**
 * A local chain for development, tests and the demo: anvil from the npm package @foundry-rs/anvil, started with
 * Nile's chain id so TIP-712 signatures made here are the ones Nile would accept.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createServer } from 'node:net'
import { NILE_CHAIN_ID } from '../../agent/pay/receipt.ts'

/** anvil's default mnemonic accounts (public test keys; never hold real value). */
export const ANVIL_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6'
] as const

export interface AnvilInit {
  /** @default NILE_CHAIN_ID */
  chainId?: bigint
  /** @default a free port on 127.0.0.1 */
  port?: number
  /** Seconds per block; 0 mines on every transaction. @default 0 */
  blockTime?: number
  /** More anvil flags, e.g. `--steps-tracing` for opcode-level gas profiles. @default [] */
  extraArgs?: string[]
}

export interface Anvil {
  url: string
  chainId: bigint
  stop: () => Promise<void>
}

export class AnvilStartError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'AnvilStartError'
  }
}

function anvilBinary (): string {
  const require = createRequire(import.meta.url)
  const pkg = require.resolve('@foundry-rs/anvil-linux-amd64/package.json')
  return join(dirname(pkg), 'bin', 'anvil')
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

/** Starts anvil and resolves once it answers JSON-RPC. */
export async function startAnvil (init: AnvilInit = {}, options: { signal?: AbortSignal } = {}): Promise<Anvil> {
  const chainId = init.chainId ?? NILE_CHAIN_ID
  const port = init.port ?? await freePort()
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', chainId.toString(), '--silent',
    '--hardfork', 'cancun', '--gas-limit', '100000000']
  if (init.blockTime !== undefined && init.blockTime > 0) args.push('--block-time', String(init.blockTime))
  args.push(...(init.extraArgs ?? []))
  const child: ChildProcess = spawn(anvilBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const url = `http://127.0.0.1:${port}`
  const exited = new Promise<void>(resolve => child.once('exit', () => { resolve() }))

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }

  const deadline = Date.now() + 20_000
  while (true) {
    if (options.signal?.aborted === true) { await stop(); throw new AnvilStartError('anvil start aborted') }
    if (child.exitCode !== null) throw new AnvilStartError(`anvil exited with ${child.exitCode}: ${stderr.trim()}`)
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] })
      })
      if (res.ok) break
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { await stop(); throw new AnvilStartError(`anvil did not answer on ${url} within 20 s: ${stderr.trim()}`) }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return { url, chainId, stop }
}
