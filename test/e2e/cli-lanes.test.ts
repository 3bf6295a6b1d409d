/**
 * The CLI's side of "every byte is backed", as a person runs it: `seedpay lane` by hand, `seed --want-lane` with
 * `get`'s auto-lane, and `get --budget` stopping with exit 3 and a clear line. Real anvil, real processes, TCP.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonRpcProvider, Wallet } from 'ethers'
import { EvmChain, type Deployment } from '../../agent/chain/index.ts'
import { startAnvil, ANVIL_KEYS, deployLocal, type Anvil } from '../../devtools/chain/index.ts'
import { toAddress } from '../../agent/pay/index.ts'
import { createTorrentFile } from '../../agent/swarm/index.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { runSeedpay, seedpayJson } from '../helpers/cli.ts'

const E18 = 10n ** 18n
const FILE_BYTES = 4 * 1024 * 1024

describe('seedpay CLI: lanes and budgets', function () {
  this.timeout(120_000)
  let anvil: Anvil
  let provider: JsonRpcProvider
  let dep: Deployment
  let dir: string
  let admin: EvmChain
  const children: SeedpayChild[] = []
  const keys = { payer: ANVIL_KEYS[4], seeder: ANVIL_KEYS[5], other: ANVIL_KEYS[6] }
  const payer = toAddress(new Wallet(keys.payer).address)
  const seeder = toAddress(new Wallet(keys.seeder).address)
  const other = toAddress(new Wallet(keys.other).address)
  const keyFile = (who: keyof typeof keys): string => join(dir, `${who}.key`)
  let chainArgs: string[]
  let torrent: string
  let data: string

  const json = seedpayJson

  before(async function () {
    this.timeout(60_000)
    anvil = await startAnvil()
    provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
    dep = await deployLocal(new Wallet(ANVIL_KEYS[0], provider), { chainId: anvil.chainId, withdrawalDelay: 60n })
    admin = await EvmChain.create({ provider, signer: new Wallet(ANVIL_KEYS[0], provider) }, { escrow: dep.escrow.hex, chainId: anvil.chainId })
    await admin.mintTestBTT(payer, 100n * E18)
    dir = await mkdtemp(join(tmpdir(), 'seedpay-cli-lanes-'))
    for (const [who, key] of Object.entries(keys)) await writeFile(join(dir, `${who}.key`), key + '\n', { mode: 0o600 })
    chainArgs = ['--rpc', anvil.url, '--escrow', dep.escrow.hex]
    data = join(dir, 'seed')
    await mkdir(data, { recursive: true })
    await writeFile(join(data, 'lane.bin'), randomBytes(FILE_BYTES))
    torrent = join(dir, 'lane.torrent')
    await writeFile(torrent, await createTorrentFile(join(data, 'lane.bin'), { pieceLength: 256 * 1024 }))
    await json(['deposit', '10', ...chainArgs, '--key-file', keyFile('payer')])
  })

  afterEach(async () => { await Promise.all(children.splice(0).map(async c => await c.kill())) })

  after(async () => {
    provider?.destroy()
    await anvil?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('lane reserve, list, release request and execute move BTT between the free balance and a seeder\'s lane', async () => {
    const reserved = await json(['lane', 'reserve', `${other}=2`, ...chainArgs, '--key-file', keyFile('payer')])
    expect(reserved['lanes']).to.deep.equal([{ payee: other, lane: '2' }])
    const list = await json(['lane', 'list', '--payee', other, ...chainArgs, '--key-file', keyFile('payer')])
    expect(list).to.include({ free: '8' })
    expect(list['lanes']).to.deep.equal([{ payee: other, lane: '2', paidOut: '0', release: null }])
    const req = await json(['lane', 'release', 'request', other, 'all', ...chainArgs, '--key-file', keyFile('payer')])
    expect(req).to.include({ amount: '2' })
    const early = await runSeedpay(['lane', 'release', 'execute', other, ...chainArgs, '--key-file', keyFile('payer')])
    expect(early.code).to.equal(1)
    expect(early.stderr).to.match(/^error: .*release.*unlock/i)
    expect(early.stderr).to.not.contain('    at ')
    await provider.send('evm_increaseTime', [61])
    await provider.send('evm_mine', [])
    const done = await json(['lane', 'release', 'execute', other, ...chainArgs, '--key-file', keyFile('payer')])
    expect(done).to.include({ amount: '2' })
    expect(await admin.balanceOf(payer)).to.equal(10n * E18)
  })

  it('lane reserve refuses more than the free balance, and yourself, with one clear line', async () => {
    const big = await runSeedpay(['lane', 'reserve', `${other}=11`, ...chainArgs, '--key-file', keyFile('payer')])
    expect(big.code).to.equal(1)
    expect(big.stderr).to.match(/^error: your free balance is 10 BTT, less than the 11 BTT to reserve\n {2}deposit more/)
    const self = await runSeedpay(['lane', 'reserve', `${payer}=1`, ...chainArgs, '--key-file', keyFile('payer')])
    expect(self.code).to.equal(2)
    expect(self.stderr).to.match(/^error: a lane for yourself can never be paid out/)
  })

  it('get reserves the lane seed --want-lane asks for, and the seeder is paid from it', async () => {
    const seed = new SeedpayChild(['seed', torrent, '--data', data, '--price', '0.01', '--want-lane', '0.1', '--free-slots', '0', ...chainArgs, '--key-file', keyFile('seeder'), '--ledger', join(dir, 'seeder-1.sqlite')])
    children.push(seed)
    expect(await seed.next('payments', 30_000)).to.include({ wantLane: '0.1' })
    const listening = await seed.next('listening', 30_000)
    const get = new SeedpayChild(['get', torrent, '--out', join(dir, 'out-1'), '--peer', `127.0.0.1:${String(listening['port'])}`, '--max-price', '0.02', ...chainArgs, '--key-file', keyFile('payer'), '--ledger', join(dir, 'payer-1.sqlite')])
    children.push(get)
    const lane = await get.next('lane:reserved', 30_000)
    expect(lane['lanes']).to.deep.equal([{ payee: seeder, amount: '0.1' }])
    await get.next('done', 60_000)
    expect(await get.exited, get.stderr).to.equal(0)
    expect(await seed.stop(), seed.stderr).to.equal(0)
    // 4 MiB at 0.01 BTT/MiB = 0.04 BTT, all of it from the lane
    const { lane: left, paidOut } = await admin.laneOf(payer, seeder)
    expect(paidOut).to.equal(4n * E18 / 100n)
    expect(left).to.equal(E18 / 10n - paidOut)
  })

  it('get --budget stops asking the charging seeder once it is spent and exits 3 saying what to do', async () => {
    const seed = new SeedpayChild(['seed', torrent, '--data', data, '--price', '0.01', '--free-slots', '0', ...chainArgs, '--key-file', keyFile('seeder'), '--ledger', join(dir, 'seeder-2.sqlite')])
    children.push(seed)
    const listening = await seed.next('listening', 30_000)
    const get = new SeedpayChild(['get', torrent, '--out', join(dir, 'out-2'), '--peer', `127.0.0.1:${String(listening['port'])}`, '--max-price', '0.02', '--budget', '0.015',
      ...chainArgs, '--key-file', keyFile('payer'), '--ledger', join(dir, 'payer-2.sqlite')])
    children.push(get)
    expect(await get.next('budget:spent', 60_000)).to.include({ budget: '0.015' })
    const paid = await get.next('paid', 60_000)
    expect(await get.exited).to.equal(3)
    expect(get.stderr, get.stderr).to.match(/error: your budget is spent: signed 0\.0[01][0-9]* BTT this run \(--budget 0\.015\); [0-9.]+ of 4\.0 MiB verified\n {2}raise --budget/)
    expect(get.stderr).to.not.contain('    at ')
    // never past the budget: 0.015 BTT buys at most 1.5 MiB at 0.01 BTT/MiB
    const signed = (paid['channels'] as Array<{ payee: string, amount: string }>).find(c => c.payee === seeder)
    expect(Number(signed?.amount)).to.be.at.most(0.015)
    expect(Number(paid['spent'])).to.be.at.most(0.015)
  })
})
