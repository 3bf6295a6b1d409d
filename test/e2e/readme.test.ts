/**
 * The README's command lines, run as written: every ```sh block, in order, from the repository root, each as
 * one shell script with job control on (as in a person's terminal, so `cmd &` and `kill %1` mean what they say
 * there). Only the environment is the test's own: SEEDPAY_HOME (keys, ledgers, logs), SEEDPAY_DEPLOYMENTS_DIR
 * and SEEDPAY_PASSPHRASE (the README says a person may export it). The first block — `npm ci && npm run demo`
 * and `npm test` — is what CI itself runs (.ci/run; test/e2e/demo.test.ts runs the demo), so it is checked,
 * not re-run from inside the test run.
 */
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BLOCK_TIMEOUT_MS = 300_000

/** The README's ```sh blocks, in order. */
function shBlocks (markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map(m => m[1]!)
}

interface Run { code: number | null, out: string }

describe('README.md: every command line works as written', function () {
  this.timeout(BLOCK_TIMEOUT_MS + 60_000)
  const blocks = shBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'))
  let scratch: string
  let env: NodeJS.ProcessEnv
  const runs: Run[] = []

  /** Runs one block as a script; on a timeout kills every job it started. */
  async function runBlock (block: string, i: number): Promise<Run> {
    const script = join(scratch, `block-${i}.sh`)
    // job control (-m): each `&` job is its own process group, as in an interactive shell; the trap ends the jobs
    // a failing block leaves behind
    await writeFile(script, `set -em\ntrap 'for j in $(jobs -p); do kill -- -$j 2>/dev/null || true; done' EXIT\n${block}`)
    const p = spawn('bash', [script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let out = ''
    p.stdout.on('data', (d: Buffer) => { out += d.toString() })
    p.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const timer = setTimeout(() => { try { process.kill(-p.pid!, 'SIGKILL') } catch {} }, BLOCK_TIMEOUT_MS)
    const code = await new Promise<number | null>(resolve => p.once('close', c => { resolve(c) }))
    clearTimeout(timer)
    const run = { code, out }
    runs.push(run)
    return run
  }

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'seedpay-readme-'))
    env = {
      ...process.env,
      SEEDPAY_HOME: join(scratch, 'home'),
      SEEDPAY_DEPLOYMENTS_DIR: join(scratch, 'deployments'),
      SEEDPAY_PASSPHRASE: 'correct horse battery staple',
      // keystores with a light scrypt cost: the flow is the same, the test a few seconds shorter
      SEEDPAY_SCRYPT_N: '1024'
    }
    delete env['SEEDPAY_KEY']
    await rm(join(ROOT, 'try'), { recursive: true, force: true })
  })

  after(async () => {
    // whatever a failed block left running: the background chain
    await new Promise<void>(resolve => {
      spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'local-chain.ts'), 'stop'], { cwd: ROOT, env, stdio: 'ignore' }).once('close', () => { resolve() })
    })
    await rm(join(ROOT, 'try'), { recursive: true, force: true })
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true })
  })

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && runs.length > 0) process.stderr.write(`--- output of the last block ---\n${runs.at(-1)!.out.slice(-6000)}\n`)
  })

  it('starts with the two commands CI runs on a fresh machine: the full local demo and npm test', () => {
    const first = (blocks[0] ?? '').split('\n').map(l => l.replace(/\s+#.*$/, '').trim()).filter(l => l !== '')
    expect(first).to.deep.equal(['npm ci && npm run demo', 'npm test'])
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).to.match(/^npm ci\b.*$/m).and.match(/^npm test$/m)
    expect((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts).to.include.keys('demo', 'test')
  })

  it('has the blocks this test knows: the daemon, the demo on BTTC, seeding and downloading, a trackerless magnet, streaming, the paid flow, the contract', () => {
    expect(blocks).to.have.length(8)
  })

  it('the daemon beside your client: config init, daemon, status, add, list, dashboard, stop', async () => {
    const r = await runBlock(blocks[1]!, 1)
    expect(r.code, r.out.slice(-3000)).to.equal(0)
    expect(r.out).to.match(/^added [0-9a-f]{40} {2}a\.bin {2}8\.0 MiB {2}seeding/m)
    expect(r.out).to.match(/^http:\/\/127\.0\.0\.1:7373\/\?token=[0-9a-f]{64}$/m)
    expect(r.out).to.match(/"event":"stopping".*"signal":"SIGTERM"/)
  })

  it('the demo on the BitTorrent Chain stand-in: native BTT, settled and audited', async () => {
    const r = await runBlock(blocks[2]!, 2)
    expect(r.code, r.out.slice(-3000)).to.equal(0)
    expect(r.out).to.match(/chain id 199 \(BitTorrent Chain\)/)
    expect(r.out).to.match(/NativeBandwidthEscrow 0x[0-9a-fA-F]{40}/)
    expect(r.out).to.match(/Demo complete .* audit matched ✓/)
  })

  it('seeding and downloading: create, seed in the background, get, stop', async () => {
    const r = await runBlock(blocks[3]!, 3)
    expect(r.code, r.out.slice(-3000)).to.equal(0)
    const original = await readFile(join(ROOT, 'try', 'files', 'video.bin'))
    expect(original.length).to.equal(20 * 1024 * 1024)
    expect(Buffer.compare(await readFile(join(ROOT, 'try', 'downloads', 'files', 'video.bin')), original)).to.equal(0)
  })

  it('a trackerless magnet: the seeder announces on its DHT node, get finds it there and downloads', async () => {
    const r = await runBlock(blocks[4]!, 4)
    expect(r.code, r.out.slice(-3000)).to.equal(0)
    expect(Buffer.compare(await readFile(join(ROOT, 'try', 'from-dht', 'song.bin')), await readFile(join(ROOT, 'try', 'dht', 'song.bin')))).to.equal(0)
  })

  it('streaming: seedpay stream serves a video over HTTP while it downloads, and ffprobe reads it', async () => {
    const r = await runBlock(blocks[5]!, 5)
    expect(r.code, r.out.slice(-3000)).to.equal(0)
    expect(r.out).to.match(/^10\.0\d*$/m)
  })

  it('the paid flow on one machine: local chain, keys, deposit, a paid download, settle, audit', async () => {
    const r = await runBlock(blocks[6]!, 6)
    expect(r.code, r.out.slice(-3000)).to.equal(0)
    expect(Buffer.compare(await readFile(join(ROOT, 'try', 'paid', 'files', 'video.bin')), await readFile(join(ROOT, 'try', 'files', 'video.bin')))).to.equal(0)
    // settle cashed what the download signed: 20 MiB at 0.01 BTT/MiB
    expect(r.out).to.match(/settled 0\.2 BTT in 1 transaction/)
    expect(r.out).to.contain('✓ the ledger matches the chain')
    // one ledger per account: the seeder's and the payer's are two files
    const ledgers = readdirLedgers(join(scratch, 'home'))
    expect(ledgers).to.have.length(2)
  })

  it('the contract: compile and the gas table', async () => {
    const r = await runBlock(blocks[7]!, 7)
    expect(r.code, r.out.slice(-3000)).to.equal(0)
    const last = r.out.trim().split('\n').at(-1)!
    expect(JSON.parse(last)).to.include({ bench: 'gas' })
  })
})

function readdirLedgers (home: string): string[] {
  return existsSync(home) ? readdirSync(home).filter(f => /^ledger-local-0x[0-9a-f]{40}\.sqlite$/.test(f)) : []
}
