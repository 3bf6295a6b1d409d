/**
 * scripts/nile-smoke.ts without Nile: its whole sequence against TronShim (java-tron's HTTP API over anvil),
 * and its refusals. What remains untested here is Nile itself.
 */
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { TronWeb } from 'tronweb'
import { useChainFixture } from './fixture.ts'
import { TronShim } from './tron-shim.ts'
import { TronChain } from '../../../agent/chain/tron-chain.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { ARTIFACTS_DIR } from '../../../agent/chain/artifacts.ts'
import { runSmoke, SmokeCheckError } from '../../../scripts/nile-smoke.ts'

const ROOT = join(ARTIFACTS_DIR, '..', '..')

function runScript (env: Record<string, string>): { status: number | null, stderr: string } {
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'nile-smoke.ts')], {
    cwd: ROOT, env: { ...process.env, TRON_FULL_HOST: 'http://127.0.0.1:9', ...env }, encoding: 'utf8', timeout: 60_000
  })
  return { status: res.status, stderr: res.stderr }
}

describe('scripts/nile-smoke', function () {
  const fx = useChainFixture()
  let shim: TronShim

  before(async () => { shim = await TronShim.start(fx.provider) })
  after(async () => { await shim?.stop() })

  function chainFor (key: string): TronChain {
    return new TronChain({ tronWeb: new TronWeb({ fullHost: shim.url }) },
      { escrow: fx.deployment.escrow.base58, chainId: fx.deployment.chainId, privateKey: key, pollIntervalMs: 20 })
  }

  it('runs the whole sequence: mint, approve, deposit, depositFor, settle, settleBatch, events, energy per call', async () => {
    const lines: string[] = []
    const report = await runSmoke({ privateKey: ANVIL_KEYS[3], deployment: fx.deployment, chain: chainFor(ANVIL_KEYS[3]), log: l => { lines.push(l) } })
    expect(report.calls.map(c => c.call)).to.deep.equal([
      'TestBTT.mint(100)', 'TestBTT.approve(70)', 'deposit(50)', 'depositFor(second payer, 20)', 'settle (1 receipt)', 'settleBatch (2 receipts)'
    ])
    for (const c of report.calls) expect(c.energy > 0n, c.call).to.equal(true)
    expect(report.events.filter(e => e.name === 'Settled')).to.have.length(3)
    expect(lines.some(l => /settleBatch \(2 receipts\)\s+energy\s+\d+/.test(l))).to.equal(true)
  })

  it('refuses a deployment without TestBTT and a chain bound to another key', async () => {
    const real = { ...fx.deployment, testToken: false }
    const a = await runSmoke({ privateKey: ANVIL_KEYS[3], deployment: real, chain: chainFor(ANVIL_KEYS[3]), log: () => {} }).catch((e: unknown) => e)
    expect(a).to.be.instanceOf(SmokeCheckError)
    const b = await runSmoke({ privateKey: ANVIL_KEYS[3], deployment: fx.deployment, chain: chainFor(ANVIL_KEYS[4]), log: () => {} }).catch((e: unknown) => e)
    expect(b).to.be.instanceOf(SmokeCheckError)
  })

  it('exits 2 with instructions when TRON_PRIVATE_KEY is missing or malformed, and refuses mainnet', () => {
    const missing = runScript({ TRON_PRIVATE_KEY: '' })
    expect(missing.status).to.equal(2)
    expect(missing.stderr).to.match(/TRON_PRIVATE_KEY is not set/)
    expect(missing.stderr).to.match(/docs\/deploy-nile\.md/)
    expect(runScript({ TRON_PRIVATE_KEY: 'abc' }).status).to.equal(2)
    const mainnet = runScript({ TRON_PRIVATE_KEY: ANVIL_KEYS[3].slice(2), SEEDPAY_NETWORK: 'mainnet' })
    expect(mainnet.status).to.equal(2)
    expect(mainnet.stderr).to.match(/refusing to run on mainnet/)
  })
})
