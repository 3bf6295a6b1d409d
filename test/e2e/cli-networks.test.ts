/**
 * The chain a command signs for is the escrow's own: `seedpay` reads the escrow's `domainSeparator()` and refuses
 * (exit 2, one line, nothing sent) when it was not computed for the chain id the command would sign with. On TRON
 * the chain id cannot be asked of the node, so it comes from --network. The attack: a TRON node taken for mainnet
 * when it is Nile would have the payer sign receipts no payee can cash. And on `local-bttc` (BTT as the chain's
 * coin) a deposit carries the coins with the call, with no approval.
 */
import { expect } from 'chai'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { useChainFixture, fund, E18 } from '../agent/chain/fixture.ts'
import { payeeBooks } from '../agent/settle/helpers.ts'
import { TronShim } from '../agent/chain/tron-shim.ts'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { runSeedpay } from '../helpers/cli.ts'
import { BTTC_CHAIN_ID } from '../../agent/pay/receipt.ts'
import { addressPair, writeDeployment } from '../../agent/chain/deployments.ts'

async function keyFile (dir: string, key: string): Promise<string> {
  const path = join(dir, 'payer.key')
  await writeFile(path, key.slice(2) + '\n', { mode: 0o600 })
  return path
}

describe('seedpay on TRON: the receipt domain is checked before anything is signed', function () {
  this.timeout(120_000)
  const fx = useChainFixture()
  let shim: TronShim
  let dir: string
  before(async () => {
    shim = await TronShim.start(fx.provider)
    dir = await mkdtemp(join(tmpdir(), 'seedpay-networks-'))
  })
  after(async () => {
    await shim?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('refuses --network mainnet against an escrow whose domain is Nile\'s, with exit 2 and no transaction', async () => {
    const key = await keyFile(dir, ANVIL_KEYS[3])
    const before = await fx.provider.getBlockNumber()
    const r = await runSeedpay(['deposit', '1', '--network', 'mainnet', '--tron', shim.url, '--escrow', fx.deployment.escrow.base58, '--key-file', key],
      { SEEDPAY_HOME: join(dir, 'home') })
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.match(/does not sign receipts for chain id 728126428/)
    expect(r.stderr).not.to.match(/\n\s+at /) // no stack trace
    expect(await fx.provider.getBlockNumber()).to.equal(before)
  })

  it('accepts --network nile against the same escrow', async () => {
    const r = await runSeedpay(['account', '--address', fx.wallets[3]!.address, '--network', 'nile', '--tron', shim.url, '--escrow', fx.deployment.escrow.base58, '--json'],
      { SEEDPAY_HOME: join(dir, 'home') })
    expect(r.code, r.stderr).to.equal(0)
  })

  it('refuses a write the account cannot pay the energy of: one line in TRX, exit 1, nothing sent', async () => {
    const key = await keyFile(dir, ANVIL_KEYS[3])
    shim.setBalance(fx.wallets[3]!.address, 1_000n)
    try {
      const sent = shim.broadcasts.length
      const r = await runSeedpay(['mint', '1', '--network', 'nile', '--tron', shim.url, '--escrow', fx.deployment.escrow.base58, '--key-file', key],
        { SEEDPAY_HOME: join(dir, 'home') })
      expect(r.code, r.stderr).to.equal(1)
      expect(r.stderr).to.match(/needs ~\d+ energy: with 0 staked it would burn [0-9.]+ TRX, and the account holds 0\.001 TRX/)
      expect(r.stderr).to.match(/send TRX to the account, or stake TRX for energy/)
      expect(r.stderr.trim().split('\n')).to.have.length.at.most(2)
      expect(shim.broadcasts.length).to.equal(sent)
    } finally {
      shim.setBalance(fx.wallets[3]!.address, 10n ** 12n)
    }
  })

  it('SEEDPAY_FEE_LIMIT_TRX caps the fee limit: a write that needs more is refused (exit 1), a bad value is exit 2', async () => {
    const key = await keyFile(dir, ANVIL_KEYS[3])
    const mint = ['mint', '1', '--network', 'nile', '--tron', shim.url, '--escrow', fx.deployment.escrow.base58, '--key-file', key]
    const sent = shim.broadcasts.length
    const low = await runSeedpay(mint, { SEEDPAY_HOME: join(dir, 'home'), SEEDPAY_FEE_LIMIT_TRX: '0.5' })
    expect(low.code, low.stderr).to.equal(1)
    expect(low.stderr).to.match(/mint needs ~\d+ energy, a fee limit of [0-9.]+ TRX, above the 0\.5 TRX allowed/)
    const bad = await runSeedpay(mint, { SEEDPAY_HOME: join(dir, 'home'), SEEDPAY_FEE_LIMIT_TRX: 'lots' })
    expect(bad.code, bad.stderr).to.equal(2)
    expect(bad.stderr).to.match(/SEEDPAY_FEE_LIMIT_TRX "lots" is not a number of TRX/)
    expect(shim.broadcasts.length).to.equal(sent)
  })

  it('settles on TRON saying what it cost (energy, TRX burnt), and audits the payee, costs included', async () => {
    for (const i of [1, 2]) await fund(fx.clients[i]!, 10n * E18)
    const books = payeeBooks({ chainId: fx.anvil.chainId, escrow: fx.deployment.escrow.hex }, ANVIL_KEYS[5])
    try {
      books.receive(ANVIL_KEYS[1], 3n)
      books.receive(ANVIL_KEYS[2], 5n)
      books.ledger.close()
      const key = join(dir, 'payee.key')
      await writeFile(key, ANVIL_KEYS[5].slice(2) + '\n', { mode: 0o600 })
      const chain = ['--network', 'nile', '--tron', shim.url, '--escrow', fx.deployment.escrow.base58, '--key-file', key, '--ledger', join(books.dir, 'ledger.db')]
      const env = { SEEDPAY_HOME: join(dir, 'home') }
      const settled = await runSeedpay(['settle', ...chain, '--json'], env)
      expect(settled.code, settled.stderr).to.equal(0)
      const out = JSON.parse(settled.stdout) as { fees: string, transactions: Array<{ method: string, gasUsed: string, fee: string }> }
      expect(out.transactions.map(t => t.method)).to.deep.equal(['settleBatch'])
      const energy = BigInt(out.transactions[0]!.gasUsed)
      expect(energy > 20_000n).to.equal(true)
      // no staked energy on the shim: all of it burnt at 100 sun, shown in TRX (6 decimals)
      const trx = (sun: bigint): string => `${sun / 1_000_000n}.${(sun % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '')} TRX`
      expect(out.transactions[0]!.fee).to.equal(trx(energy * 100n))
      expect(out.fees).to.equal(trx(energy * 100n))

      const audited = await runSeedpay(['audit', ...chain, '--json'], env)
      expect(audited.code, audited.stdout + audited.stderr).to.equal(0)
      const report = JSON.parse(audited.stdout) as { ok: boolean, feeUnit: string, totals: { paid: string, settlementGas: string, settlementFees: string } }
      expect(report.ok).to.equal(true)
      expect(report.feeUnit).to.equal('sun')
      expect(report.totals.paid).to.equal((8n * 10n ** 16n).toString())
      expect(report.totals.settlementGas).to.equal(energy.toString())
      expect(report.totals.settlementFees).to.equal((energy * 100n).toString())
      const table = await runSeedpay(['audit', ...chain], env)
      expect(table.code, table.stderr).to.equal(0)
      expect(table.stdout).to.include(`energy ${energy.toLocaleString('en-US')}, fees ${trx(energy * 100n)}`)
      expect(table.stdout).to.include('✓ the ledger matches the chain')
    } finally {
      await rm(books.dir, { recursive: true, force: true })
    }
  })
})

describe('seedpay on local-bttc: native BTT', function () {
  this.timeout(120_000)
  const fx = useChainFixture({ asset: 'native', chainId: BTTC_CHAIN_ID })
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'seedpay-bttc-')) })
  after(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

  it('deposits coins with the call (no approval) and shows the escrow balance', async () => {
    const key = await keyFile(dir, ANVIL_KEYS[3])
    const chain = ['--network', 'local-bttc', '--rpc', fx.anvil.url, '--escrow', fx.deployment.escrow.hex, '--key-file', key]
    const env = { SEEDPAY_HOME: join(dir, 'home') }
    const r = await runSeedpay(['deposit', '2.5', ...chain, '--json'], env)
    expect(r.code, r.stderr).to.equal(0)
    const out = JSON.parse(r.stdout.trim()) as { txIds: Record<string, string> }
    expect(Object.keys(out.txIds)).to.deep.equal(['deposit'])
    expect(await fx.readOnly.balanceOf(fx.wallets[3]!.address)).to.equal(25n * 10n ** 17n)
    const shown = await runSeedpay(['account', ...chain], env)
    expect(shown.code, shown.stderr).to.equal(0)
    expect(shown.stdout).to.match(/^wallet {7}[0-9.]+ BTT \(the chain's coin: this escrow holds native BTT\)$/m)
    expect(shown.stdout).to.match(/^in escrow {4}2\.5 BTT free/m)
    const mint = await runSeedpay(['mint', '1', ...chain], env)
    expect(mint.code).to.equal(2)
    expect(mint.stderr).to.match(/chain's coin/)
  })

  it('without deployments/local-bttc.json or --escrow, says in one line how to get an escrow', async () => {
    const key = await keyFile(dir, ANVIL_KEYS[3])
    const r = await runSeedpay(['deposit', '1', '--network', 'local-bttc', '--rpc', fx.anvil.url, '--key-file', key], { SEEDPAY_HOME: join(dir, 'home'), SEEDPAY_DEPLOYMENTS_DIR: dir })
    expect(r.code).to.equal(2)
    expect(r.stderr).to.match(/npm run demo -- --network local-bttc/)
  })
})

describe('seedpay on local-bttc: an anvil of another chain', function () {
  this.timeout(120_000)
  // Nile's chain id: --network local-bttc would sign for 199
  const fx = useChainFixture({ asset: 'native' })

  it('is refused before anything is signed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seedpay-bttc-'))
    try {
      const before = await fx.provider.getBlockNumber()
      const r = await runSeedpay(['deposit', '1', '--network', 'local-bttc', '--rpc', fx.anvil.url, '--escrow', fx.deployment.escrow.hex, '--key-file', await keyFile(dir, ANVIL_KEYS[3])],
        { SEEDPAY_HOME: join(dir, 'home') })
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.match(/is chain 3448148188, but .* --network local-bttc is on chain 199/)
      expect(await fx.provider.getBlockNumber()).to.equal(before)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('seedpay account --all-networks: one account on every network with a deployment', function () {
  this.timeout(120_000)
  // on 127.0.0.1:8545, `--network local`'s default node
  const fx = useChainFixture({ port: 8545 })
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'seedpay-everywhere-')) })
  after(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

  it('shows where the account is funded; a network that does not answer, or is another chain, is a row with the reason', async () => {
    const deployments = join(dir, 'deployments')
    writeDeployment(fx.deployment, deployments) // development.json: --network local
    // the same escrow claimed for BitTorrent Chain's id (8545 answers with Nile's) and for Nile (unreachable here)
    writeDeployment({ ...fx.deployment, network: 'local-bttc', chainId: BTTC_CHAIN_ID }, deployments)
    writeDeployment({ ...fx.deployment, network: 'nile' }, deployments)
    await fund(fx.clients[3]!, 2n * E18)
    const env = { SEEDPAY_HOME: join(dir, 'home'), SEEDPAY_DEPLOYMENTS_DIR: deployments }
    const address = fx.wallets[3]!.address
    const r = await runSeedpay(['account', '--all-networks', '--address', address, '--json'], env)
    expect(r.code, r.stderr).to.equal(0)
    const out = JSON.parse(r.stdout) as { account: string, networks: Array<{ network: string, chainId: string | null, escrowBalance: string | null, walletBalance: string | null, error: string | null }> }
    expect(out.account).to.equal(address.toLowerCase())
    expect(out.networks.map(n => n.network)).to.deep.equal(['local', 'nile', 'local-bttc'])
    const [local, nile, bttc] = out.networks
    expect(local).to.include({ chainId: fx.anvil.chainId.toString(), escrowBalance: '2', error: null })
    expect(bttc!.error).to.match(/is chain 3448148188, but the deployment of --network local-bttc is on chain 199/)
    expect(nile!.error).to.be.a('string')
    expect(nile!.escrowBalance).to.equal(null)

    const text = await runSeedpay(['account', '--all-networks', '--address', address], env)
    expect(text.code, text.stderr).to.equal(0)
    expect(text.stdout).to.match(/^local {2,}3448148188 .* 2 BTT {2,}nothing {2,}✓$/m)
    expect(text.stdout).to.match(/^local-bttc {2,}199 .* – {2,}✗ http:\/\/127\.0\.0\.1:8545 is chain 3448148188/m)
    expect(text.stdout).to.include('funded on 1 of 3 network(s) with a deployment')

    const bad = await runSeedpay(['account', '--all-networks', '--address', address, '--rpc', 'http://127.0.0.1:8545'], env)
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/--all-networks reads each network's own deployment and node; --rpc names one/)
  })
})

describe('seedpay account --all-networks: a node that never answers', function () {
  this.timeout(60_000)

  it('gives up on it, says so in its row, prints everything and exits 0 (it does not hang on the open socket)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seedpay-silent-'))
    const { createServer } = await import('node:net')
    const held = new Set<import('node:net').Socket>()
    // accepts on --network local's default node and never says a word
    const silent = createServer(socket => { held.add(socket); socket.on('error', () => {}) })
    await new Promise<void>(resolve => silent.listen(8545, '127.0.0.1', resolve))
    try {
      const deployments = join(dir, 'deployments')
      writeDeployment({
        network: 'development', chainId: '3448148188', token: addressPair('0x5FbDB2315678afecb367f032d93F642f64180aa3'),
        testToken: true, escrow: addressPair('0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'),
        withdrawalDelay: '3600', deployedAt: new Date().toISOString(), txIds: {}
      }, deployments)
      const started = Date.now()
      const r = await runSeedpay(['account', '--all-networks', '--address', '0x90f79bf6eb2c4f870365e785982e1f101e93b906', '--json'],
        { SEEDPAY_HOME: join(dir, 'home'), SEEDPAY_DEPLOYMENTS_DIR: deployments })
      expect(r.code, r.stderr).to.equal(0)
      const out = JSON.parse(r.stdout) as { networks: Array<{ network: string, error: string | null }> }
      expect(out.networks.map(n => n.network)).to.deep.equal(['local'])
      // the JSON-RPC client's own timeout, or the 15 s one of --all-networks: whichever comes first
      expect(out.networks[0]!.error).to.match(/cannot reach the JSON-RPC endpoint http:\/\/127\.0\.0\.1:8545: ETIMEDOUT|no answer within 15 s/)
      expect(Date.now() - started).to.be.lessThan(40_000)
    } finally {
      for (const s of held) s.destroy()
      await new Promise<void>(resolve => silent.close(() => { resolve() }))
      await rm(dir, { recursive: true, force: true })
    }
  })
})
