/**
 * The package as a user installs it: `npm pack` in the repository, `npm i -g <tarball>` into a throwaway
 * prefix (dependencies from the npm registry or npm's cache; better-sqlite3 and secp256k1 build when their
 * prebuilt binaries cannot be downloaded), then the installed `seedpay` run from a folder outside the
 * repository: --version, --help, `create` on a small folder, its native modules, and `account` against a
 * real anvil (the contract artifacts in the tarball). Skips, saying so, only when the registry is unreachable.
 */
import { expect } from 'chai'
import { execFile, spawn } from 'node:child_process'
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { JsonRpcProvider, Wallet } from 'ethers'
import { startAnvil, ANVIL_KEYS, deployLocal, type Anvil } from '../../devtools/chain/index.ts'
import { runSeedpay } from '../helpers/cli.ts'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
/** The install scripts the package needs (npm ≥ 11.16 asks for them to be named; npm 12 runs only those). */
const ALLOW_SCRIPTS = 'seedpay,better-sqlite3,secp256k1'

interface Run { code: number, stdout: string, stderr: string, ms: number }

/** A child without the npm_* variables of an enclosing `npm test` (they would steer the inner npm). */
async function sh (file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')))
  const started = Date.now()
  return await new Promise(resolve => {
    const p = spawn(file, args, { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    p.once('exit', code => { resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - started }) })
  })
}

async function registryReachable (): Promise<boolean> {
  return await new Promise(resolve => {
    execFile('npm', ['ping', '--fetch-timeout=15000', '--fetch-retries=1'], { timeout: 60_000 }, err => { resolve(err === null) })
  })
}

describe('seedpay package: npm pack, npm i -g, run from anywhere', function () {
  this.timeout(1_800_000)
  let dir: string
  let prefix: string
  let bin: string
  let elsewhere: string
  let version: string

  before(async function () {
    if (!await registryReachable()) {
      console.log('    SKIPPED: the npm registry is unreachable (npm ping failed), so `npm i -g <tarball>` cannot fetch dependencies')
      this.skip()
    }
    version = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }).version
    dir = await mkdtemp(join(tmpdir(), 'seedpay-pkg-'))
    prefix = join(dir, 'prefix')
    bin = join(prefix, 'bin', 'seedpay')
    elsewhere = join(dir, 'elsewhere')
    await mkdir(elsewhere)
  })

  after(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

  it('packs the built CLI, its contract artifacts and nothing of the tests or the TypeScript source', async () => {
    const packed = await sh('npm', ['pack', '--json', '--pack-destination', dir], REPO)
    expect(packed.code, packed.stderr).to.equal(0)
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string, files: Array<{ path: string }> }>
    const files = info!.files.map(f => f.path)
    for (const f of ['bin/seedpay.js', 'dist/seedpay.js', 'build/contracts/BandwidthEscrow.json', 'build/contracts/TestBTT.json', 'scripts/install-solc.mjs', 'docs/cli.md', 'README.md']) {
      expect(files, f).to.include(f)
    }
    expect(files.filter(f => f.startsWith('test/') || f.startsWith('contracts/') || f.startsWith('agent/') || f.startsWith('devtools/') || f === 'deployments/development.json')).to.deep.equal([])
    expect(info!.filename).to.equal(`seedpay-${version}.tgz`)
    await access(join(dir, info!.filename))
  })

  it('installs globally from the tarball into a fresh prefix', async () => {
    const r = await sh('npm', ['i', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', `--allow-scripts=${ALLOW_SCRIPTS}`, join(dir, `seedpay-${version}.tgz`)], dir)
    console.log(`    npm i -g seedpay-${version}.tgz took ${(r.ms / 1000).toFixed(0)} s`)
    expect(r.code, r.stderr.slice(-4000)).to.equal(0)
    await access(bin)
  })

  it('runs --version and --help from a folder outside the repository', async () => {
    const v = await sh(bin, ['--version'], elsewhere)
    expect(v.code, v.stderr).to.equal(0)
    expect(v.stdout).to.equal(`seedpay ${version}\n`)
    const h = await sh(bin, ['--help'], elsewhere)
    expect(h.code, h.stderr).to.equal(0)
    expect(h.stdout).to.match(/^Usage: seedpay /)
    for (const c of ['create', 'seed', 'get', 'account', 'deposit', 'settle', 'audit']) expect(h.stdout).to.match(new RegExp(`\\n  ${c} `))
  })

  it('creates a torrent of a small folder there, the same one the repository\'s CLI makes', async () => {
    await mkdir(join(elsewhere, 'share'))
    await writeFile(join(elsewhere, 'share', 'a.txt'), 'hello from an installed seedpay\n')
    await writeFile(join(elsewhere, 'share', 'b.bin'), Buffer.alloc(70_000, 3))
    const r = await sh(bin, ['create', 'share', '-o', 'share.torrent', '--json'], elsewhere)
    expect(r.code, r.stderr).to.equal(0)
    const created = JSON.parse(r.stdout) as { infoHash: string, pieces: number }
    await access(join(elsewhere, 'share.torrent'))
    const again = await runSeedpay(['create', join(elsewhere, 'share'), '-o', join(dir, 'repo.torrent'), '--json'])
    expect(again.code, again.stderr).to.equal(0)
    expect((JSON.parse(again.stdout) as { infoHash: string }).infoHash).to.equal(created.infoHash)
    const bad = await sh(bin, ['get', 'missing.torrent', '--out', 'dl'], elsewhere)
    expect(bad.code).to.equal(2)
    expect(bad.stderr.trimEnd().split('\n')).to.have.length(2)
  })

  it('has its native modules built: better-sqlite3 opens a database, secp256k1 loads its binding', async () => {
    const pkg = join(prefix, 'lib', 'node_modules', 'seedpay')
    const r = await sh(process.execPath, ['-e', [
      'const Database = require("better-sqlite3")',
      'const db = new Database(":memory:")',
      'console.log(db.prepare("select 40 + 2 as n").get().n)',
      'require("secp256k1/bindings")',
      'console.log("secp256k1 native")'
    ].join(';')], pkg)
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('42\nsecp256k1 native\n')
  })

  it('reads the escrow on a real anvil with the packaged contract artifacts', async () => {
    let anvil: Anvil | undefined
    let provider: JsonRpcProvider | undefined
    try {
      anvil = await startAnvil()
      provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
      const dep = await deployLocal(new Wallet(ANVIL_KEYS[0], provider), { chainId: anvil.chainId })
      const who = new Wallet(ANVIL_KEYS[1]).address
      const r = await sh(bin, ['account', '--rpc', anvil.url, '--escrow', dep.escrow.hex, '--address', who, '--json'], elsewhere, { SEEDPAY_HOME: join(dir, 'home') })
      expect(r.code, r.stderr).to.equal(0)
      expect(JSON.stringify(JSON.parse(r.stdout)).toLowerCase()).to.contain(who.toLowerCase())
    } finally {
      provider?.destroy()
      await anvil?.stop()
    }
  })
})
