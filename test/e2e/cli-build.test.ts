/**
 * The built CLI (scripts/build.ts; the root hook test/helpers/home.ts builds dist/ before every run): the bin runs
 * it, says in one line what to do when dist/ is missing, and the quick commands load only what they need. What a
 * command loads is read from dist/ itself: the files a chunk imports statically are loaded with it, and esbuild
 * heads every bundled module with a `// <path>` comment.
 */
import { expect } from 'chai'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SEEDPAY_BIN } from '../../devtools/seedpay-child.ts'
import { DIST, DIST_MAIN } from '../../scripts/build.ts'
import { runNode, runSeedpay, type CliRun } from '../helpers/cli.ts'

/** The dist files loaded with `file`: it and, transitively, every file it imports statically. */
function loadedWith (file: string): string[] {
  const seen = new Set<string>()
  const visit = (name: string): void => {
    if (seen.has(name)) return
    seen.add(name)
    for (const m of readFileSync(join(DIST, name), 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s*"\.\/([^"]+)"|^import\s*"\.\/([^"]+)"/gm)) visit((m[1] ?? m[2])!)
  }
  visit(file)
  return [...seen]
}

/** The source modules bundled into these dist files (`agent/cli/main.ts`, `node_modules/ethers/lib.esm/...`). */
function modulesIn (files: string[]): string[] {
  return files.flatMap(f => [...readFileSync(join(DIST, f), 'utf8').matchAll(/^\/\/ ((?:agent|node_modules)\/\S+)$/gm)].map(m => m[1]!))
}

/** The dist file that bundles the source module `path` (a chunk of its own: it is imported dynamically). */
function chunkOf (path: string): string {
  const hit = readdirSync(DIST).filter(f => f.endsWith('.js') && readFileSync(join(DIST, f), 'utf8').includes(`\n// ${path}\n`))
  expect(hit, path).to.have.length(1)
  return hit[0]!
}

const packages = (modules: string[]): Set<string> => new Set(modules.flatMap(m => /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m)?.[1] ?? []))

async function run (bin: string, args: string[]): Promise<CliRun> {
  return await runNode([bin, ...args])
}

describe('seedpay CLI: the build (dist/)', function () {
  this.timeout(60_000)

  it('runs --help and --version from the built bin', async () => {
    const help = await runSeedpay(['--help'])
    expect(help.code, help.stderr).to.equal(0)
    expect(help.stdout).to.match(/^Usage: seedpay /)
    for (const c of ['create', 'seed', 'get', 'account', 'settle', 'audit', 'lane', 'key']) expect(help.stdout).to.match(new RegExp(`\\n  ${c} `))
    const version = await runSeedpay(['--version'])
    expect(version.code).to.equal(0)
    expect(version.stdout).to.match(/^seedpay \d+\.\d+\.\d+\n$/)
  })

  it('says in one line to run npm run build when dist/ is missing, and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seedpay-nodist-'))
    try {
      await mkdir(join(dir, 'bin'))
      await copyFile(SEEDPAY_BIN, join(dir, 'bin', 'seedpay.js'))
      const r = await run(join(dir, 'bin', 'seedpay.js'), ['--help'])
      expect(r.code).to.equal(1)
      expect(r.stdout).to.equal('')
      expect(r.stderr.trimEnd().split('\n')).to.have.length(1)
      expect(r.stderr).to.match(/^error: .*run npm run build\n$/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('--help and --version load commander and the command declarations, none of ethers, zod, tronweb, pino or the swarm', () => {
    const modules = modulesIn(loadedWith('seedpay.js'))
    expect(modules).to.include('agent/cli/main.ts')
    expect([...packages(modules)]).to.deep.equal(['commander'])
    // declarations the options need: error classes, artifact paths, the batch size, the encryption policies
    expect(modules.filter(m => /^agent\/(swarm|chain|ledger|settle|payment|compose)\//.test(m) && !/\/(errors|artifacts|batch-size|mse\/policy|mse\/constants)\.ts$/.test(m))).to.deep.equal([])
  })

  it('account loads ethers and the EVM client, not tronweb, pino, the ledger\'s settlement or the swarm', () => {
    const modules = modulesIn(loadedWith(chunkOf('agent/cli/account-actions.ts')))
    expect(modules).to.include.members(['agent/chain/evm-chain.ts', 'agent/cli/chain-options.ts'])
    const pkgs = packages(modules)
    expect(pkgs.has('ethers')).to.equal(true)
    for (const heavy of ['tronweb', 'pino', 'bittorrent-protocol', 'cli-progress']) expect(pkgs.has(heavy), heavy).to.equal(false)
    expect(modules.filter(m => m.startsWith('node_modules/zod/v4/classic/')), 'zod\'s classic API (the CLI uses zod/mini)').to.deep.equal([])
    expect(modules.filter(m => /^agent\/(swarm|settle|payment|compose)\//.test(m) && !m.endsWith('/errors.ts'))).to.deep.equal([])
    expect(modules).to.not.include('agent/chain/tron-chain.ts')
  })

  it('a free seed or get loads the swarm, not the payment side, node-fetch, undici or mime-types', () => {
    const modules = modulesIn(loadedWith(chunkOf('agent/cli/swarm-actions.ts')))
    expect(modules).to.include.members(['agent/swarm/engine.ts', 'agent/cli/run-engine.ts', 'agent/cli/with-payments.ts'])
    const pkgs = packages(modules)
    expect(pkgs.has('bittorrent-protocol')).to.equal(true)
    // ethers, the ledger and the chain clients come with payment-options.ts, imported only for --price/--max-price
    for (const heavy of ['ethers', 'zod', 'tronweb', 'node-fetch', 'cross-fetch-ponyfill', 'mime-types', 'mime-db']) expect(pkgs.has(heavy), heavy).to.equal(false)
    expect(modules.filter(m => /^agent\/(ledger|settle|payment|compose)\//.test(m))).to.deep.equal([])
    expect(modules).to.not.include('agent/cli/payment-options.ts')
    // mime-types is a chunk of its own, imported at the first HTTP request (agent/swarm/file-http.ts)
    expect(loadedWith(chunkOf('agent/cli/swarm-actions.ts'))).to.not.include(chunkOf('node_modules/mime-types/index.js'))
  })

  it('loads tronweb only with TronChain, a chunk of its own', () => {
    const tron = chunkOf('agent/chain/tron-chain.ts')
    const withTron = readdirSync(DIST).filter(f => f.endsWith('.js') && modulesIn([f]).some(m => m.startsWith('node_modules/tronweb/')))
    for (const f of withTron) expect(loadedWith(tron), f).to.include(f)
    expect(loadedWith('seedpay.js')).to.not.include(tron)
    expect(DIST_MAIN.endsWith('seedpay.js')).to.equal(true)
  })
})
