/**
 * What a person sees from a paid `seedpay get` (real processes, a real anvil): no pino JSON or stack traces on the
 * terminal — the log goes to SEEDPAY_HOME/logs — and, on a terminal (run under `script`, which gives it a pty),
 * the bar's events are sentences with BTT amounts, the bar shows what was paid and its rate, and ETA never "NULL".
 */
import { expect } from 'chai'
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Wallet } from 'ethers'
import { EvmChain } from '../../agent/chain/index.ts'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { toAddress } from '../../agent/pay/index.ts'
import { createTorrentFile } from '../../agent/swarm/index.ts'
import { SEEDPAY_BIN, SEEDPAY_NODE_FLAGS, SeedpayChild } from '../../devtools/seedpay-child.ts'
import { runSeedpay } from '../helpers/cli.ts'
import { startCliChain, type CliChain } from '../../devtools/chain/cli-chain.ts'

const E18 = 10n ** 18n
const FILE_BYTES = 2 * 1024 * 1024

function hasScript (): boolean {
  try { execFileSync('script', ['--version'], { stdio: 'ignore' }); return true } catch { return false }
}

/** `seedpay ...args` on a pseudo-terminal (util-linux `script`): stdout and stderr both arrive as the pty's output. */
async function onTerminal (args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number, output: string }> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
  const command = [process.execPath, ...SEEDPAY_NODE_FLAGS, SEEDPAY_BIN, ...args].map(quote).join(' ')
  const p = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, COLUMNS: '250' } })
  let output = ''
  p.stdout.on('data', (d: Buffer) => { output += d.toString() })
  p.stderr.on('data', (d: Buffer) => { output += d.toString() })
  const code = await new Promise<number>(resolve => p.once('exit', c => { resolve(c ?? 1) }))
  return { code, output }
}

describe('seedpay CLI: output for people', function () {
  this.timeout(120_000)
  let local: CliChain
  let dir: string
  let home: string
  let chainArgs: string[]
  let torrent: string
  let data: string
  let payerKeyFile: string
  let seed: SeedpayChild | undefined
  let peer: string
  const seeder = toAddress(new Wallet(ANVIL_KEYS[3]).address)

  before(async function () {
    this.timeout(90_000)
    dir = await mkdtemp(join(tmpdir(), 'seedpay-cli-output-'))
    local = await startCliChain(dir)
    const payerChain = await EvmChain.create({ provider: local.provider, signer: new Wallet(ANVIL_KEYS[2], local.provider) }, { escrow: local.deployment.escrow.hex, chainId: local.anvil.chainId })
    await payerChain.mintTestBTT(payerChain.account!, 10n * E18)
    await payerChain.approve(10n * E18)
    await payerChain.deposit(10n * E18)
    home = join(dir, 'home')
    payerKeyFile = await local.keyFile('payer', ANVIL_KEYS[2])
    const seederKeyFile = await local.keyFile('seeder', ANVIL_KEYS[3])
    chainArgs = local.args
    data = join(dir, 'seed')
    await mkdir(data, { recursive: true })
    await writeFile(join(data, 'paid.bin'), randomBytes(FILE_BYTES))
    torrent = join(dir, 'paid.torrent')
    await writeFile(torrent, await createTorrentFile(join(data, 'paid.bin'), { pieceLength: 256 * 1024 }))
    seed = new SeedpayChild(['seed', torrent, '--data', data, '--host', '127.0.0.1', '--price', '0.01', ...chainArgs, '--key-file', seederKeyFile,
      '--ledger', join(dir, 'seeder.sqlite'), '--log-file', join(dir, 'seeder.log')])
    const listening = await seed.next('listening', 60_000)
    peer = `127.0.0.1:${String(listening['port'])}`
  })

  after(async () => {
    await seed?.kill()
    await local?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('a paid get without --json writes no JSON and no stack to stderr; its log goes to SEEDPAY_HOME/logs/get-<date>.log', async () => {
    const r = await runSeedpay(['get', torrent, '--out', join(dir, 'out-plain'), '--host', '127.0.0.1', '--peer', peer, '--max-price', '0.02', ...chainArgs,
      '--key-file', payerKeyFile, '--ledger', join(dir, 'payer-plain.sqlite'), '--log-level', 'info'], { SEEDPAY_HOME: home })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.not.match(/^\{/m)
    expect(r.stderr).to.not.contain('"level"')
    expect(r.stderr).to.not.match(/\n\s+at /)
    const logs = await readdir(join(home, 'logs'))
    const today = `get-${new Date().toISOString().slice(0, 10)}.log`
    expect(logs).to.deep.equal([today])
    const lines = (await readFile(join(home, 'logs', today), 'utf8')).trim().split('\n')
    expect(lines.length, 'info lines in the log').to.be.greaterThan(0)
    for (const l of lines) expect(JSON.parse(l)).to.have.property('level')
    // with --log-file - the log is back on stderr, as pino JSON
    const toStderr = await runSeedpay(['get', torrent, '--out', join(dir, 'out-plain'), '--host', '127.0.0.1', '--peer', peer, '--max-price', '0.02', ...chainArgs,
      '--key-file', payerKeyFile, '--ledger', join(dir, 'payer-plain.sqlite'), '--log-level', 'info', '--log-file', '-'], { SEEDPAY_HOME: home })
    expect(toStderr.code, toStderr.stderr).to.equal(0)
    expect(toStderr.stderr).to.match(/^\{"level":30/m)
  })

  it('on a terminal: events are sentences with BTT amounts, the bar shows what was paid and at what rate, ETA is never NULL/INF', async function () {
    if (!hasScript()) this.skip()
    const r = await onTerminal(['get', torrent, '--out', join(dir, 'out-tty'), '--host', '127.0.0.1', '--peer', peer, '--max-price', '0.02', ...chainArgs,
      '--key-file', payerKeyFile, '--ledger', join(dir, 'payer-tty.sqlite')], { SEEDPAY_HOME: home })
    expect(r.code, r.output).to.equal(0)
    const out = r.output
    expect(out).to.not.contain('[object Object]')
    expect(out).to.not.match(/ETA (NULL|INF|LLs|NFs)/)
    expect(out).to.not.contain('"event"')
    expect(out).to.not.match(/\n\s+at /)
    expect(out).to.match(/payments: paying at most 0\.02 BTT\/MiB as 0x[0-9a-f]{4}…[0-9a-f]{4}/)
    expect(out).to.contain(`seeder ${seeder.slice(0, 6)}…${seeder.slice(-4)} (peer `)
    expect(out).to.match(/asks 0\.01 BTT\/MiB/)
    // 2 MiB at 0.01 BTT/MiB
    expect(out).to.contain(`paid: signed 0.02 BTT this run from `)
    // receipts are cumulative per payer and seeder: with the first test's download it is 4 MiB (2 when run alone)
    expect(out).to.match(new RegExp(`receipts per seeder \\(all runs\\): ${seeder.slice(0, 6)}…${seeder.slice(-4)} 0\\.0[24] BTT for [24]\\.0 MiB`))
    expect(out).to.match(/\| paid 0\.02 BTT \(0\.0[0-9]* BTT\/MiB\) \| done/)
  })
})
