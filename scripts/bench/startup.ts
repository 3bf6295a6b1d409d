/**
 * Start-up benchmark (`npm run bench:startup`): how long a person waits for a quick `seedpay` command, from spawning
 * the process to its exit. Ten interleaved runs of each (after one warm-up run each, so every command meets a warm
 * file cache): the built CLI's `--help` and `account --address` (against a local chain this script starts and
 * deploys on, with `--network local` reading the deployment it writes), the same `--help` through tsx (the
 * TypeScript source, as before the build), and `python3 -c 'import libtorrent'`, a native client library's start,
 * for comparison. Every run must succeed. The last stdout line is one JSON object.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { JsonRpcProvider, Wallet } from 'ethers'
import { writeDeployment } from '../../agent/chain/index.ts'
import { ANVIL_KEYS, deployLocal, startAnvil } from '../../devtools/chain/index.ts'
import { DIST_MAIN } from '../build.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const RUNS = 10
/** What the build is for: a quick command returns within this (issue 11). */
const TARGET_MS = 200
const PYTHON = '/usr/bin/python3'

interface Command { name: string, shown: string, file: string, args: string[], env?: NodeJS.ProcessEnv, expect?: RegExp }
interface Figures { command: string, medianMs: number, minMs: number, maxMs: number, runsMs: number[] }

/** Milliseconds from spawn to exit; throws unless it exits 0 (and prints `expect`, when given). */
async function timed (c: Command): Promise<number> {
  const started = process.hrtime.bigint()
  const p = spawn(c.file, c.args, { cwd: ROOT, env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  p.stdout.on('data', (d: Buffer) => { out += d.toString() })
  p.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const code = await new Promise<number>(resolve => p.once('exit', (c, s) => { resolve(c ?? (s !== null ? 128 : 1)) }))
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (code !== 0 || (c.expect !== undefined && !c.expect.test(out))) throw new Error(`${c.shown} exited ${code}:\n${out.slice(-2000)}`)
  return ms
}

function figures (c: Command, runs: number[]): Figures {
  const sorted = [...runs].sort((a, b) => a - b)
  const mid = sorted.length / 2
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  const r = (x: number): number => Math.round(x)
  return { command: c.shown, medianMs: r(median), minMs: r(sorted[0]!), maxMs: r(sorted.at(-1)!), runsMs: runs.map(r) }
}

if (!existsSync(DIST_MAIN)) throw new Error('no dist/: run npm run build first (npm run bench:startup does)')
const log = (s: string): void => { process.stdout.write(s + '\n') }
log(`seedpay bench:startup — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${RUNS} interleaved runs each`)

const anvil = await startAnvil()
const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
const work = mkdtempSync(join(tmpdir(), 'seedpay-bench-startup-'))
try {
  const deployments = join(work, 'deployments')
  writeDeployment(await deployLocal(new Wallet(ANVIL_KEYS[0], provider), { chainId: anvil.chainId }), deployments)
  const address = new Wallet(ANVIL_KEYS[0]).address
  // A home of its own: no key, ledger or log of the machine's; --rpc names the port anvil got.
  const env = { SEEDPAY_HOME: join(work, 'home'), SEEDPAY_DEPLOYMENTS_DIR: deployments }
  const node = process.execPath
  const commands: Command[] = [
    { name: 'help', shown: 'node bin/seedpay.js --help', file: node, args: ['bin/seedpay.js', '--help'], env, expect: /^Usage: seedpay / },
    {
      name: 'account', shown: `node bin/seedpay.js account --address ${address} --network local --rpc ${anvil.url}`,
      file: node, args: ['bin/seedpay.js', 'account', '--address', address, '--network', 'local', '--rpc', anvil.url], env, expect: /^account {6}0x/
    },
    { name: 'tsxHelp', shown: 'node --import tsx agent/cli/main.ts --help', file: node, args: ['--import', 'tsx', 'agent/cli/main.ts', '--help'], env, expect: /^Usage: seedpay / },
    { name: 'pythonLibtorrent', shown: `${PYTHON} -c 'import libtorrent'`, file: PYTHON, args: ['-c', 'import libtorrent'] }
  ]
  const present = commands.filter(c => c.file !== PYTHON || existsSync(PYTHON))
  for (const c of present) await timed(c)
  const runs = new Map(present.map(c => [c.name, [] as number[]]))
  for (let i = 0; i < RUNS; i++) for (const c of present) runs.get(c.name)!.push(await timed(c))
  const result: Record<string, Figures> = {}
  for (const c of present) {
    const f = figures(c, runs.get(c.name)!)
    result[c.name] = f
    log(`${c.name.padEnd(17)} median ${String(f.medianMs).padStart(5)} ms  (${f.minMs}–${f.maxMs})  ${f.command}`)
  }
  const quick = ['help', 'account'].every(n => (result[n]?.medianMs ?? Infinity) <= TARGET_MS)
  log(JSON.stringify({ bench: 'startup', date: new Date().toISOString(), node: process.version, cores: cpus().length, runs: RUNS, targetMs: TARGET_MS, withinTarget: quick, results: result }))
} finally {
  provider.destroy()
  await anvil.stop()
  rmSync(work, { recursive: true, force: true })
}
