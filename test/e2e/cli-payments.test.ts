import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonRpcProvider, Wallet } from 'ethers'
import { writeDeployment, EvmChain, type Deployment } from '../../agent/chain/index.ts'
import { startAnvil, ANVIL_KEYS, deployLocal, type Anvil } from '../../devtools/chain/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { toAddress } from '../../agent/pay/index.ts'
import { createTorrentFile } from '../../agent/swarm/index.ts'
import { formatBtt } from '../../agent/cli/amounts.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { runSeedpay, seedpayJson } from '../helpers/cli.ts'

const E18 = 10n ** 18n
const FILE_BYTES = 3 * 1024 * 1024


// The tests run in order on one chain: later ones use the deposit and the hot key the first ones make.
describe('seedpay CLI: payments on the local chain', function () {
  let anvil: Anvil
  let provider: JsonRpcProvider
  let dep: Deployment
  let dir: string
  let chain: EvmChain
  const children: SeedpayChild[] = []
  const payerKey = ANVIL_KEYS[2]
  const seederKey = ANVIL_KEYS[3]
  const payer = toAddress(new Wallet(payerKey).address)
  const seeder = toAddress(new Wallet(seederKey).address)
  let payerKeyFile: string
  let seederKeyFile: string
  let chainArgs: string[]
  let torrent: string
  let data: string

  const runCli = runSeedpay

  const json = seedpayJson

  before(async function () {
    this.timeout(60_000)
    anvil = await startAnvil()
    provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
    dep = await deployLocal(new Wallet(ANVIL_KEYS[0], provider), { chainId: anvil.chainId })
    chain = await EvmChain.create({ provider, signer: new Wallet(ANVIL_KEYS[0], provider) }, { escrow: dep.escrow.hex, chainId: anvil.chainId })
    await chain.mintTestBTT(payer, 1000n * E18)
    dir = await mkdtemp(join(tmpdir(), 'seedpay-cli-pay-'))
    payerKeyFile = join(dir, 'payer.key')
    seederKeyFile = join(dir, 'seeder.key')
    // mode 600: seedpay refuses key files others may read, as ssh does
    await writeFile(payerKeyFile, payerKey + '\n', { mode: 0o600 })
    await writeFile(seederKeyFile, seederKey + '\n', { mode: 0o600 })
    await writeFile(join(dir, 'not-a-key.key'), 'no key in here\n', { mode: 0o600 })
    // 64 hex digits, but the curve order n: no account has it
    await writeFile(join(dir, 'order.key'), 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141\n', { mode: 0o600 })
    chainArgs = ['--rpc', anvil.url, '--escrow', dep.escrow.hex]
    data = join(dir, 'seed')
    await mkdir(data, { recursive: true })
    await writeFile(join(data, 'paid.bin'), randomBytes(FILE_BYTES))
    torrent = join(dir, 'paid.torrent')
    await writeFile(torrent, await createTorrentFile(join(data, 'paid.bin'), { pieceLength: 256 * 1024 }))
  })

  /** A charging seeder at 0.01 BTT/MiB; resolves once it listens. */
  async function startSeeder (key: string, ledger: string, extra: string[] = []): Promise<{ child: SeedpayChild, peer: string }> {
    const child = new SeedpayChild(['seed', torrent, '--data', data, '--price', '0.01', ...chainArgs, '--key-file', key, '--ledger', ledger, ...extra])
    children.push(child)
    const listening = await child.next('listening', 30_000)
    return { child, peer: `127.0.0.1:${String(listening['port'])}` }
  }

  /** A paying download that must finish; returns its final `paid` event. */
  async function download (peer: string, out: string, keyArgs: string[], ledger: string): Promise<Record<string, unknown>> {
    const get = new SeedpayChild(['get', torrent, '--out', out, '--peer', peer, '--max-price', '0.02', ...chainArgs, ...keyArgs, '--ledger', ledger])
    children.push(get)
    const paid = await get.next('paid', 60_000)
    expect(await get.exited, get.stderr).to.equal(0)
    expect(Buffer.compare(await readFile(join(out, 'paid.bin')), await readFile(join(data, 'paid.bin')))).to.equal(0)
    return paid
  }

  /** What a payee's ledger holds from each payer (newest receipt amounts). */
  function ledgerAmounts (path: string, payee: string): Map<string, bigint> {
    const ledger = new Ledger({}, { path })
    try {
      return new Map(ledger.channels().filter(c => c.role === 'payee' && c.key.payee === payee).map(c => [c.key.payer, c.newest?.amount ?? 0n]))
    } finally {
      ledger.close()
    }
  }

  afterEach(async () => { await Promise.all(children.splice(0).map(async c => await c.kill())) })

  after(async () => {
    provider?.destroy()
    await anvil?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('deposit approves and deposits; account shows the wallet and escrow balances', async () => {
    const deposited = await json(['deposit', '25.5', ...chainArgs, '--key-file', payerKeyFile])
    expect(deposited).to.include({ action: 'deposit', amount: '25.5', escrowBalance: '25.5' })
    expect(deposited['txIds']).to.have.keys('approve', 'deposit')
    const account = await json(['account', ...chainArgs, '--key-file', payerKeyFile])
    expect(account).to.include({ account: payer, tokenBalance: '974.5', escrowBalance: '25.5', signer: null, pendingWithdrawal: null })
    expect(await chain.balanceOf(payer)).to.equal(255n * E18 / 10n)
  })

  it('reads the escrow from a deployments file with --network local', async () => {
    const deployments = join(dir, 'deployments')
    writeDeployment(dep, deployments)
    const r = await runCli(['account', '--network', 'local', '--rpc', anvil.url, '--address', seeder, '--json'], { SEEDPAY_DEPLOYMENTS_DIR: deployments })
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout)).to.include({ account: seeder, escrowBalance: '0', network: 'local' })
  })

  it('withdraw request, cancel; execute before the unlock says when it unlocks', async () => {
    const req = await json(['withdraw', 'request', '1.25', ...chainArgs, '--key-file', payerKeyFile])
    expect(req).to.include({ amount: '1.25' })
    const early = await runCli(['withdraw', 'execute', ...chainArgs, '--key-file', payerKeyFile])
    expect(early.code).to.equal(1)
    expect(early.stderr).to.match(/^error: the withdrawal unlocks at /)
    await json(['withdraw', 'cancel', ...chainArgs, '--key-file', payerKeyFile])
    expect((await chain.pendingWithdrawal(payer)).unlockAt).to.equal(0n)
  })

  it('signer new writes a hot key file and registers it as the signer', async () => {
    const out = join(dir, 'hot.key')
    const made = await json(['signer', 'new', '--out', out, ...chainArgs, '--key-file', payerKeyFile])
    const hot = new Wallet((await readFile(out, 'utf8')).trim())
    expect(made['signer']).to.equal(toAddress(hot.address))
    expect((await chain.signerOf(payer)).signer.toLowerCase()).to.equal(toAddress(hot.address))
    const again = await runCli(['signer', 'new', '--out', out, ...chainArgs, '--key-file', payerKeyFile])
    expect(again.code).to.equal(2)
    expect(again.stderr).to.match(/already exists/)
  })

  it('a paid transfer: seed --price, get --max-price with the hot key; SIGINT settles and the payee holds what its ledger says', async () => {
    const seederLedger = join(dir, 'seeder.sqlite')
    const payerLedger = join(dir, 'payer.sqlite')

    const seed = new SeedpayChild(['seed', torrent, '--data', data, '--price', '0.01', '--free-slots', '0', ...chainArgs, '--key-file', seederKeyFile, '--ledger', seederLedger])
    children.push(seed)
    const payments = await seed.next('payments', 30_000)
    expect(payments).to.include({ role: 'payee', account: seeder, pricePerMiB: '0.01', freeSlots: 0 })
    const listening = await seed.next('listening', 30_000)

    const out = join(dir, 'out')
    const get = new SeedpayChild(['get', torrent, '--out', out, '--peer', `127.0.0.1:${String(listening['port'])}`, '--max-price', '0.02',
      ...chainArgs, '--signer-key', join(dir, 'hot.key'), '--account', payer, '--ledger', payerLedger])
    children.push(get)
    expect(await get.next('payment:peer', 30_000)).to.include({ account: seeder, pricePerMiB: '0.01' })
    await get.next('done', 60_000)
    const paid = await get.next('paid', 30_000)
    expect(await get.exited, get.stderr).to.equal(0)
    expect(Buffer.compare(await readFile(join(out, 'paid.bin')), await readFile(join(data, 'paid.bin')))).to.equal(0)
    const signed = (paid['channels'] as Array<{ payee: string, amount: string }>)[0]
    expect(signed?.payee).to.equal(seeder)

    const before = await chain.tokenBalanceOf(seeder)
    expect(await seed.stop(), seed.stderr).to.equal(0)
    const ledger = new Ledger({}, { path: seederLedger })
    try {
      const channel = ledger.channels().find(c => c.role === 'payee' && c.key.payer === payer && c.key.payee === seeder)
      const held = channel?.newest?.amount ?? 0n
      // the seeder holds the payer's newest receipt: every verified byte was paid for
      expect(channel?.newest?.bytes).to.equal(BigInt(FILE_BYTES))
      expect(formatBtt(held)).to.equal(signed?.amount)
      expect(await chain.tokenBalanceOf(seeder) - before).to.equal(held)
      expect(await chain.paidOut(payer, seeder)).to.equal(held)
      const attempts = ledger.settlements(channel!.key)
      expect(attempts.at(-1)).to.include({ status: 'confirmed', paid: held })
    } finally {
      ledger.close()
    }
    // nothing left: `seedpay settle` says so and exits 0
    const settle = await json(['settle', ...chainArgs, '--key-file', seederKeyFile, '--ledger', seederLedger])
    expect(settle).to.include({ total: '0' })
    expect(settle['transactions']).to.deep.equal([])
  })

  it('seedpay settle cashes what a killed seeder left: two payers in one settleBatch', async () => {
    const payer2Key = join(dir, 'payer2.key')
    await writeFile(payer2Key, ANVIL_KEYS[4] + '\n', { mode: 0o600 })
    const payer2 = toAddress(new Wallet(ANVIL_KEYS[4]).address)
    await json(['mint', '50', ...chainArgs, '--key-file', payer2Key])
    await json(['deposit', '10', ...chainArgs, '--key-file', payer2Key])
    const seeder2Key = join(dir, 'seeder2.key')
    await writeFile(seeder2Key, ANVIL_KEYS[5] + '\n', { mode: 0o600 })
    const seeder2 = toAddress(new Wallet(ANVIL_KEYS[5]).address)
    const ledgerPath = join(dir, 'seeder2.sqlite')
    const { child, peer } = await startSeeder(seeder2Key, ledgerPath)
    await Promise.all([
      download(peer, join(dir, 'out-a'), ['--signer-key', join(dir, 'hot.key'), '--account', payer], join(dir, 'payer-a.sqlite')),
      download(peer, join(dir, 'out-b'), ['--key-file', payer2Key], join(dir, 'payer-b.sqlite'))
    ])
    // killed: no settlement on shutdown; the receipts wait in its ledger
    child.proc.kill('SIGKILL')
    await child.exited
    const held = ledgerAmounts(ledgerPath, seeder2)
    expect([...held.keys()].sort()).to.deep.equal([payer, payer2].sort())
    const before = await chain.tokenBalanceOf(seeder2)
    const settled = await json(['settle', ...chainArgs, '--key-file', seeder2Key, '--ledger', ledgerPath])
    const txs = settled['transactions'] as Array<{ method: string, payers: Array<{ payer: string, paid: string }> }>
    expect(txs).to.have.length(1)
    expect(txs[0]?.method).to.equal('settleBatch')
    expect(txs[0]?.payers.map(p => p.payer).sort()).to.deep.equal([payer, payer2].sort())
    const total = [...held.values()].reduce((a, b) => a + b, 0n)
    expect(await chain.tokenBalanceOf(seeder2) - before).to.equal(total)
  })

  it('a paid transfer over RC4: seed and get with --encryption require; the payee holds a receipt for every byte', async () => {
    // require on both sides: a plain connection would be refused, so finishing proves the BEP 10 payment extension ran encrypted
    const ledgerPath = join(dir, 'seeder-rc4.sqlite')
    const { peer } = await startSeeder(seederKeyFile, ledgerPath, ['--free-slots', '0', '--encryption', 'require'])
    const out = join(dir, 'out-rc4')
    const get = new SeedpayChild(['get', torrent, '--out', out, '--peer', peer, '--max-price', '0.02', '--encryption', 'require',
      ...chainArgs, '--key-file', payerKeyFile, '--ledger', join(dir, 'payer-rc4.sqlite')])
    children.push(get)
    await get.next('paid', 60_000)
    expect(await get.exited, get.stderr).to.equal(0)
    expect(Buffer.compare(await readFile(join(out, 'paid.bin')), await readFile(join(data, 'paid.bin')))).to.equal(0)
    const ledger = new Ledger({}, { path: ledgerPath })
    try {
      const channel = ledger.channels().find(c => c.role === 'payee' && c.key.payer === payer && c.key.payee === seeder)
      expect(channel?.newest?.bytes).to.equal(BigInt(FILE_BYTES))
      expect((channel?.newest?.amount ?? 0n) > 0n).to.equal(true)
    } finally {
      ledger.close()
    }
  })

  it('the seeder\'s watchtower settles at once when its payer requests a withdrawal', async () => {
    const payer2Key = join(dir, 'payer2.key')
    const payer2 = toAddress(new Wallet(ANVIL_KEYS[4]).address)
    const seeder3Key = join(dir, 'seeder3.key')
    await writeFile(seeder3Key, ANVIL_KEYS[6] + '\n', { mode: 0o600 })
    const seeder3 = toAddress(new Wallet(ANVIL_KEYS[6]).address)
    const ledgerPath = join(dir, 'seeder3.sqlite')
    const { child, peer } = await startSeeder(seeder3Key, ledgerPath)
    await download(peer, join(dir, 'out-c'), ['--key-file', payer2Key], join(dir, 'payer-c.sqlite'))
    await json(['withdraw', 'request', 'all', ...chainArgs, '--key-file', payer2Key])
    const seen = await child.next('watchtower:withdrawal', 30_000)
    expect(seen).to.include({ payer: payer2 })
    const settled = await child.next('settled', 30_000)
    expect(settled).to.include({ reason: 'watchtower' })
    expect(await child.stop(), child.stderr).to.equal(0)
    expect(await chain.paidOut(payer2, seeder3)).to.equal(ledgerAmounts(ledgerPath, seeder3).get(payer2))
  })

  describe('bad inputs exit non-zero with a clear message and no stack trace', () => {
    const cases: Array<{ name: string, args: () => string[], code: number, message: RegExp }> = [
      { name: 'an unknown network', args: () => ['account', '--network', 'moon', '--key-file', payerKeyFile], code: 2, message: /--network "moon" is not one of local, nile, mainnet/ },
      { name: 'amount 1.2.3', args: () => ['deposit', '1.2.3', ...chainArgs, '--key-file', payerKeyFile], code: 2, message: /amount "1\.2\.3" is not a number of BTT/ },
      { name: 'more than 18 decimals', args: () => ['deposit', '0.0000000000000000001', ...chainArgs, '--key-file', payerKeyFile], code: 2, message: /has 19 decimals; BTT has 18/ },
      { name: 'a negative amount', args: () => ['deposit', '-1', ...chainArgs, '--key-file', payerKeyFile], code: 2, message: /amount "-1" is negative/ },
      { name: 'a missing key file', args: () => ['deposit', '1', ...chainArgs, '--key-file', join(dir, 'no-such.key')], code: 2, message: /--key-file .*no-such\.key does not exist/ },
      { name: 'a key file without a key', args: () => ['account', ...chainArgs, '--key-file', join(dir, 'not-a-key.key')], code: 2, message: /does not hold a private key/ },
      { name: 'a key out of the curve\'s range', args: () => ['account', ...chainArgs, '--key-file', join(dir, 'order.key')], code: 2, message: /holds no valid secp256k1 private key \(zero or out of range\)/ },
      { name: 'a bad --rpc', args: () => ['account', '--rpc', 'localhost:8545', '--escrow', dep.escrow.hex, '--key-file', payerKeyFile], code: 2, message: /--rpc "localhost:8545" is not an http\(s\):\/\/ URL/ },
      { name: 'no contract at --escrow', args: () => ['account', '--rpc', anvil.url, '--escrow', seeder, '--key-file', payerKeyFile], code: 2, message: /no contract at / },
      { name: 'a deposit larger than the wallet', args: () => ['deposit', '1000000', ...chainArgs, '--key-file', payerKeyFile], code: 1, message: /your wallet holds .* BTT, less than 1000000/ },
      { name: 'seed --price without a key', args: () => ['seed', join(dir, 'paid.torrent'), '--data', join(dir, 'seed'), '--price', '1', ...chainArgs], code: 2, message: /charging needs your account's key/ },
      { name: 'get --max-price with an unregistered signer', args: () => ['get', join(dir, 'paid.torrent'), '--out', join(dir, 'x'), '--max-price', '1', ...chainArgs, '--signer-key', seederKeyFile, '--account', payer], code: 2, message: /may not sign for/ }
    ]
    for (const c of cases) {
      it(`rejects ${c.name}`, async () => {
        const r = await runCli(c.args(), { SEEDPAY_KEY: '' })
        expect(r.code, r.stderr).to.equal(c.code)
        expect(r.stderr).to.match(/^error: /)
        expect(r.stderr).to.match(c.message)
        expect(r.stderr).to.not.match(/\n\s+at /)
      })
    }
  })
})
