/**
 * Runs the real tronbox migration (migrations/1_deploy.js) with `tronbox migrate --evm` against anvil: the
 * same file, the same tronbox deployer and artifacts as on Nile, only the chain differs. Checks the deployment
 * record it writes and that agent/chain can use it.
 */
import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { JsonRpcProvider, Wallet } from 'ethers'
import { startAnvil, ANVIL_KEYS, type Anvil } from '../../../devtools/chain/index.ts'
import { ARTIFACTS_DIR } from '../../../agent/chain/artifacts.ts'
import { readDeployment, deploymentPath } from '../../../agent/chain/deployments.ts'
import { EvmChain } from '../../../agent/chain/evm-chain.ts'

const run = promisify(execFile)
const ROOT = join(ARTIFACTS_DIR, '..', '..')

describe('tronbox migration (1_deploy.js) on a local EVM chain', function () {
  this.timeout(180_000)
  let anvil: Anvil
  let provider: JsonRpcProvider
  let work: string
  let deployments: string

  async function migrate (env: Record<string, string> = {}): Promise<string> {
    const { stdout } = await run(join(ROOT, 'node_modules', '.bin', 'tronbox'), ['migrate', '--evm', '--network', 'development'], {
      cwd: work,
      env: { ...process.env, SEEDPAY_DEPLOYMENTS_DIR: deployments, SEEDPAY_WITHDRAWAL_DELAY: '3600', SEEDPAY_TOKEN: '', SEEDPAY_REDEPLOY: '', ...env },
      timeout: 120_000
    })
    return stdout
  }

  before(async () => {
    anvil = await startAnvil()
    provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 20 })
    mkdirSync(join(ROOT, '.tmp'), { recursive: true })
    work = mkdtempSync(join(ROOT, '.tmp', 'migrate-'))
    deployments = join(work, 'deployments')
    // The migration itself is linked, the artifacts copied (tronbox writes network entries into them).
    symlinkSync(join(ROOT, 'migrations'), join(work, 'migrations'))
    cpSync(ARTIFACTS_DIR, join(work, 'build', 'contracts'), { recursive: true })
    writeFileSync(join(work, 'package.json'), '{"type":"commonjs"}\n')
    writeFileSync(join(work, 'tronbox-evm-config.js'), `module.exports = ${JSON.stringify({
      networks: { development: { privateKey: ANVIL_KEYS[0].slice(2), fullHost: anvil.url, network_id: '*' } },
      compilers: { solc: { version: '0.8.29', settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun' } } }
    })}\n`)
  })

  after(async () => {
    provider?.destroy()
    await anvil?.stop()
    if (work !== undefined) rmSync(work, { recursive: true, force: true })
  })

  it('deploys TestBTT and the escrow and records both in deployments/development.json', async () => {
    const out = await migrate()
    expect(out, out).to.match(/(Deploying|Replacing) TestBTT/)
    const dep = readDeployment('development', deployments)
    expect(dep.chainId).to.equal(3448148188n)
    expect(dep.testToken).to.equal(true)
    expect(dep.withdrawalDelay).to.equal(3600n)
    expect(dep.escrow.base58).to.match(/^T/)
    expect(Object.keys(dep.txIds).sort()).to.deep.equal(['escrow', 'token'])
    const receipt = await provider.getTransactionReceipt(dep.txIds.escrow!)
    expect(receipt?.contractAddress).to.equal(dep.escrow.hex)
    expect(dep.escrowBlock).to.equal(receipt?.blockNumber)

    const chain = await EvmChain.create({ provider, signer: new Wallet(ANVIL_KEYS[1], provider) }, { escrow: dep.escrow.hex, chainId: dep.chainId })
    expect(await chain.token()).to.equal(dep.token.hex)
    expect(await chain.withdrawalDelay()).to.equal(3600n)
    await chain.mintTestBTT(chain.account!, 5n)
    await chain.approve(5n)
    const res = await chain.deposit(5n)
    expect(res.events[0]).to.include({ name: 'Deposited', amount: 5n })
  })

  it('does not redeploy over an existing record unless SEEDPAY_REDEPLOY=1', async () => {
    const before = readFileSync(deploymentPath('development', deployments), 'utf8')
    const out = await migrate()
    expect(out).to.match(/exists; not deploying again/)
    expect(readFileSync(deploymentPath('development', deployments), 'utf8')).to.equal(before)
  })

  it('uses the token in SEEDPAY_TOKEN (base58 accepted) instead of deploying TestBTT', async () => {
    const first = readDeployment('development', deployments)
    await migrate({ SEEDPAY_REDEPLOY: '1', SEEDPAY_TOKEN: first.token.base58, SEEDPAY_WITHDRAWAL_DELAY: '7200' })
    const dep = readDeployment('development', deployments)
    expect(dep.testToken).to.equal(false)
    expect(dep.token).to.deep.equal(first.token)
    expect(dep.escrow.hex).not.to.equal(first.escrow.hex)
    expect(Object.keys(dep.txIds)).to.deep.equal(['escrow'])
    const chain = await EvmChain.create({ provider }, { escrow: dep.escrow.hex, chainId: dep.chainId })
    expect(await chain.token()).to.equal(first.token.hex)
    expect(await chain.withdrawalDelay()).to.equal(7200n)
  })

  it('refuses a malformed withdrawal delay', async () => {
    const err = await migrate({ SEEDPAY_REDEPLOY: '1', SEEDPAY_WITHDRAWAL_DELAY: '1d' }).catch((e: unknown) => e) as { stdout?: string, stderr?: string } | string
    const text = typeof err === 'string' ? err : `${err.stdout ?? ''}${err.stderr ?? ''}`
    expect(text).to.match(/SEEDPAY_WITHDRAWAL_DELAY must be a positive integer/)
  })
})
