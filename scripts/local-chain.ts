/**
 * A local chain for trying the CLI by hand: anvil on 127.0.0.1 (default port 8545, chain id = Nile) with TestBTT +
 * BandwidthEscrow deployed by anvil's account #0, written to deployments/development.json (what `seedpay
 * --network local` reads; SEEDPAY_DEPLOYMENTS_DIR moves it). On a fresh anvil the addresses are always the same
 * (so a file already naming them is left as it is). anvil forgets everything when it stops.
 *
 *   npx tsx scripts/local-chain.ts [port]         runs in this terminal until Ctrl-C
 *   npx tsx scripts/local-chain.ts start [port]   runs in the background; returns once the escrow is deployed
 *   npx tsx scripts/local-chain.ts stop           stops the background chain
 *
 * `start` keeps its pid and log in ~/.seedpay (SEEDPAY_HOME): local-chain.pid, local-chain.log.
 */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { JsonRpcProvider, Wallet } from 'ethers'
import { writeDeployment, readDeployment, deploymentPath, type Deployment } from '../agent/chain/index.ts'
import { startAnvil, ANVIL_KEYS, deployLocal } from '../devtools/chain/index.ts'
import { seedpayHome } from '../agent/util/home.ts'

const START_TIMEOUT_MS = 60_000
const READY = 'Ctrl-C stops the chain.'
const pidFile = join(seedpayHome(), 'local-chain.pid')
const logFile = join(seedpayHome(), 'local-chain.log')

const args = process.argv.slice(2)
const command = args[0] === 'start' || args[0] === 'stop' ? args.shift() : 'run'
const port = parsePort(args[0] ?? '8545')

if (command === 'start') await startInBackground()
else if (command === 'stop') await stopBackground()
else await run()

async function run (): Promise<void> {
  const anvil = await startAnvil({ port })
  const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true })
  try {
    const dep = await deployLocal(new Wallet(ANVIL_KEYS[0], provider), { chainId: anvil.chainId })
    const path = sameAsOnDisk(dep) ? deploymentPath(dep.network) : writeDeployment(dep)
    process.stdout.write([
      `anvil          ${anvil.url} (chain id ${anvil.chainId})`,
      `TestBTT        ${dep.token.hex}`,
      `escrow         ${dep.escrow.hex} (withdrawal delay ${dep.withdrawalDelay} s)`,
      `deployment     ${path}`,
      'keys           make yours with `seedpay key new`, then `seedpay mint 100 --key <name>` (TestBTT is free here)',
      READY,
      ''
    ].join('\n'))
  } catch (err) {
    await anvil.stop()
    throw err
  } finally {
    provider.destroy()
  }
  const stop = (): void => { anvil.stop().then(() => process.exit(0), () => process.exit(1)) }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

/** Starts `run` detached, logging to local-chain.log, and returns once it has deployed (or says why not). */
async function startInBackground (): Promise<void> {
  const running = alivePid()
  if (running !== null) {
    process.stdout.write(`a local chain already runs (pid ${running}); \`npx tsx scripts/local-chain.ts stop\` stops it\n`)
    return
  }
  mkdirSync(seedpayHome(), { recursive: true })
  const log = openSync(logFile, 'w')
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), String(port)], { detached: true, stdio: ['ignore', log, log] })
  closeSync(log)
  writeFileSync(pidFile, `${child.pid}\n`)
  let exited: number | null = null
  child.once('exit', code => { exited = code ?? 1 })
  child.unref()
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    const text = readFileSync(logFile, 'utf8')
    if (text.includes(READY)) {
      process.stdout.write(text.replace(READY, `pid ${child.pid}; \`npx tsx scripts/local-chain.ts stop\` stops the chain (log: ${logFile}).`))
      return
    }
    if (exited !== null || Date.now() > deadline) {
      rmSync(pidFile, { force: true })
      if (exited === null) process.kill(child.pid!, 'SIGTERM')
      process.stderr.write(`error: the local chain did not start${exited !== null ? ` (exit ${String(exited)})` : ' within 60 s'}:\n${text.trim().split('\n').slice(-5).join('\n')}\n  is port ${port} taken? pass another: npx tsx scripts/local-chain.ts start <port>\n`)
      process.exitCode = 1
      return
    }
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

async function stopBackground (): Promise<void> {
  const pid = alivePid()
  rmSync(pidFile, { force: true })
  if (pid === null) {
    process.stdout.write('no local chain runs in the background\n')
    return
  }
  process.kill(pid, 'SIGTERM')
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise(resolve => setTimeout(resolve, 100))
  if (isAlive(pid)) process.kill(pid, 'SIGKILL')
  process.stdout.write(`stopped the local chain (pid ${pid})\n`)
}

function alivePid (): number | null {
  if (!existsSync(pidFile)) return null
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null
}

function isAlive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

function parsePort (text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    process.stderr.write(`error: port "${text}" is not 1–65535\n  usage: npx tsx scripts/local-chain.ts [start|stop] [port]\n`)
    process.exit(2)
  }
  return n
}

/** The committed development.json already names these contracts (a fresh anvil always deploys to the same addresses). */
function sameAsOnDisk (dep: Deployment): boolean {
  try {
    const old = readDeployment(dep.network)
    return old.chainId === dep.chainId && old.escrow.hex === dep.escrow.hex && old.token.hex === dep.token.hex && old.withdrawalDelay === dep.withdrawalDelay
  } catch {
    return false
  }
}
