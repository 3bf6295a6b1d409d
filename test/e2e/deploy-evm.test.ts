/**
 * scripts/deploy-evm.ts (`npm run deploy:evm`) against a local BitTorrent Chain stand-in (anvil, chain id 199):
 * it deploys the NativeBandwidthEscrow, writes deployments/local-bttc.json, and every command then finds the
 * escrow by --network alone. Its refusals: an existing deployments file (never overwritten without --force), a
 * node of another chain, a missing key, an unknown network.
 */
import { expect } from 'chai'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startAnvil, ANVIL_KEYS, type Anvil } from '../../devtools/chain/index.ts'
import { ARTIFACTS_DIR } from '../../agent/chain/artifacts.ts'
import { BTTC_CHAIN_ID } from '../../agent/pay/receipt.ts'
import { runNode, runSeedpay, type CliRun } from '../helpers/cli.ts'

const ROOT = join(ARTIFACTS_DIR, '..', '..')

async function deployEvm (args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return await runNode(['--import', 'tsx', join(ROOT, 'scripts', 'deploy-evm.ts'), ...args], env, undefined, ROOT)
}

describe('npm run deploy:evm (native BTT escrow on an EVM network)', function () {
  this.timeout(120_000)
  let bttc: Anvil
  let nile: Anvil
  let dir: string
  let env: NodeJS.ProcessEnv
  before(async () => {
    [bttc, nile] = await Promise.all([startAnvil({ chainId: BTTC_CHAIN_ID }), startAnvil()])
    dir = await mkdtemp(join(tmpdir(), 'seedpay-deploy-evm-'))
    env = { SEEDPAY_DEPLOYMENTS_DIR: join(dir, 'deployments'), SEEDPAY_HOME: join(dir, 'home'), BTTC_PRIVATE_KEY: ANVIL_KEYS[0] }
  })
  after(async () => {
    await Promise.all([bttc?.stop(), nile?.stop()])
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('deploys, writes deployments/local-bttc.json, and seedpay finds the escrow by --network', async () => {
    const r = await deployEvm(['--network', 'local-bttc', '--rpc', bttc.url, '--withdrawal-delay', '3600'], env)
    expect(r.code, r.stderr).to.equal(0)
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { escrow: string, chainId: number, deployment: string }
    expect(last.chainId).to.equal(199)
    const file = JSON.parse(await readFile(join(dir, 'deployments', 'local-bttc.json'), 'utf8')) as { escrow: { hex: string }, token: { hex: string }, withdrawalDelay: number | string }
    expect(file.escrow.hex).to.equal(last.escrow)
    expect(file.token.hex).to.equal('0x' + '00'.repeat(20))
    expect(String(file.withdrawalDelay)).to.equal('3600')
    const account = await runSeedpay(['account', '--network', 'local-bttc', '--rpc', bttc.url, '--address', '0x' + '11'.repeat(20), '--json'], env)
    expect(account.code, account.stderr).to.equal(0)
    expect(account.stdout).to.contain(last.escrow)
  })

  it('never overwrites an existing deployments file without --force', async () => {
    const before = await readFile(join(dir, 'deployments', 'local-bttc.json'), 'utf8')
    const r = await deployEvm(['--network', 'local-bttc', '--rpc', bttc.url], env)
    expect(r.code).to.equal(2)
    expect(r.stderr).to.match(/exists: pass --force/)
    expect(await readFile(join(dir, 'deployments', 'local-bttc.json'), 'utf8')).to.equal(before)
  })

  it('refuses a node of another chain, a missing key and an unknown network, each with exit 2 and one line', async () => {
    const other = await deployEvm(['--network', 'local-bttc', '--rpc', nile.url, '--force'], env)
    expect(other.code).to.equal(2)
    expect(other.stderr).to.match(/is chain 3448148188, not local-bttc \(199\)/)
    const noKey = await deployEvm(['--network', 'local-bttc', '--rpc', bttc.url, '--force'], { ...env, BTTC_PRIVATE_KEY: '' })
    expect(noKey.code).to.equal(2)
    expect(noKey.stderr).to.match(/BTTC_PRIVATE_KEY is not set/)
    const unknown = await deployEvm(['--network', 'nile'], env)
    expect(unknown.code).to.equal(2)
    expect(unknown.stderr).to.match(/tronbox/)
    for (const r of [other, noKey, unknown]) expect(r.stderr.trim().split('\n')).to.have.length(1)
  })
})
