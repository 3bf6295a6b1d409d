/** Runs the real `seedpay` command (bin/seedpay.js, with the bin's node flags) as a child process. */
import { spawn } from 'node:child_process'
import { SEEDPAY_BIN, SEEDPAY_NODE_FLAGS } from '../../devtools/seedpay-child.ts'

export interface CliRun { code: number, stdout: string, stderr: string }

/** `node bin/seedpay.js ...args` to completion, with its exit code and both outputs; `input` is piped to its stdin. */
export async function runSeedpay (args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliRun> {
  return await runNode([...SEEDPAY_NODE_FLAGS, SEEDPAY_BIN, ...args], env, input)
}

/** `node ...args` (a script, with its flags) to completion; `env` adds to this process's environment. */
export async function runNode (args: string[], env: NodeJS.ProcessEnv = {}, input?: string, cwd?: string): Promise<CliRun> {
  const p = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env }, ...(cwd !== undefined ? { cwd } : {}) })
  p.stdin.on('error', () => {}) // a child that exits without reading its input
  p.stdin.end(input ?? '')
  let stdout = ''
  let stderr = ''
  p.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  p.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number>(resolve => p.once('exit', c => { resolve(c ?? 1) }))
  return { code, stdout, stderr }
}

/** Runs `seedpay ...args --json`, expects exit 0, and returns its one JSON object. */
export async function seedpayJson (args: string[]): Promise<Record<string, unknown>> {
  const r = await runSeedpay([...args, '--json'])
  if (r.code !== 0) throw new Error(`seedpay ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout.trim()) as Record<string, unknown>
}
