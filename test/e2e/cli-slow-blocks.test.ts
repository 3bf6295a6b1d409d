/**
 * A seeder on a chain that mines a block a second (as TRON and BTTC do, every 2-3 s), not at once as anvil does by
 * default: the settlement it sends on SIGINT must poll for its receipt, with nothing else left to keep the process
 * up. That poll's timer was unref'd, so Node exited 0 in the middle of the settlement and printed nothing (a CI
 * failure in cli-seed-networks, whose second anvil happened to take a second poll). The settlement must be
 * reported, confirmed in the ledger and paid out on the chain.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonRpcProvider, Wallet } from 'ethers'
import { EvmChain } from '../../agent/chain/index.ts'
import { startAnvil, ANVIL_KEYS, deployLocal, type Anvil } from '../../devtools/chain/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { toAddress } from '../../agent/pay/index.ts'
import { createTorrentFile } from '../../agent/swarm/index.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { seedpayJson } from '../helpers/cli.ts'

const E18 = 10n ** 18n
const FILE_BYTES = 2 * 1024 * 1024

describe('seedpay seed on a chain with one-second blocks', function () {
  this.timeout(120_000)
  let anvil: Anvil
  let provider: JsonRpcProvider
  let chain: EvmChain
  let dir: string
  let chainArgs: string[]
  const children: SeedpayChild[] = []
  const payer = toAddress(new Wallet(ANVIL_KEYS[2]).address)
  const seeder = toAddress(new Wallet(ANVIL_KEYS[3]).address)

  before(async function () {
    this.timeout(90_000)
    anvil = await startAnvil({ blockTime: 1 })
    provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
    const deployer = new Wallet(ANVIL_KEYS[0], provider)
    const dep = await deployLocal(deployer, { chainId: anvil.chainId })
    chain = await EvmChain.create({ provider, signer: deployer }, { escrow: dep.escrow.hex, chainId: anvil.chainId })
    await chain.mintTestBTT(payer, 100n * E18)
    dir = await mkdtemp(join(tmpdir(), 'seedpay-slow-blocks-'))
    for (const [name, key] of [['payer', ANVIL_KEYS[2]], ['seeder', ANVIL_KEYS[3]]] as const) await writeFile(join(dir, `${name}.key`), key + '\n', { mode: 0o600 })
    chainArgs = ['--rpc', anvil.url, '--escrow', dep.escrow.hex]
    await seedpayJson(['deposit', '5', ...chainArgs, '--key-file', join(dir, 'payer.key')])
  })

  afterEach(async () => { await Promise.all(children.splice(0).map(async c => await c.kill())) })

  after(async () => {
    provider?.destroy()
    await anvil?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('SIGINT settles: the settlement is reported, confirmed in the ledger and paid out', async () => {
    const data = join(dir, 'seed')
    await mkdir(data, { recursive: true })
    await writeFile(join(data, 'file.bin'), randomBytes(FILE_BYTES))
    const torrent = join(dir, 'file.torrent')
    await writeFile(torrent, await createTorrentFile(join(data, 'file.bin'), { pieceLength: 256 * 1024 }))
    const ledger = join(dir, 'seeder.sqlite')
    // a high threshold: nothing is settled mid-transfer, so the whole payout is the shutdown settlement's
    const seed = new SeedpayChild(['seed', torrent, '--data', data, '--price', '0.01', '--free-slots', '0', '--settle-threshold', '1000',
      ...chainArgs, '--key-file', join(dir, 'seeder.key'), '--ledger', ledger])
    children.push(seed)
    const listening = await seed.next('listening', 30_000)
    const get = new SeedpayChild(['get', torrent, '--out', join(dir, 'out'), '--peer', `127.0.0.1:${String(listening['port'])}`, '--max-price', '0.02',
      ...chainArgs, '--key-file', join(dir, 'payer.key'), '--ledger', join(dir, 'payer.sqlite')])
    children.push(get)
    await get.next('paid', 60_000)
    expect(await get.exited, get.stderr).to.equal(0)
    expect(Buffer.compare(await readFile(join(dir, 'out', 'file.bin')), await readFile(join(data, 'file.bin')))).to.equal(0)

    expect(await seed.stop(), seed.stderr).to.equal(0)
    const settled = await seed.next('settlement', 1_000)
    expect(settled['txIds']).to.have.length(1)
    expect(settled['failed']).to.deep.equal([])
    const l = new Ledger({}, { path: ledger })
    try {
      const channel = l.channels().find(c => c.role === 'payee' && c.key.payer === payer && c.key.payee === seeder)
      const held = channel?.newest?.amount ?? 0n
      expect(channel?.newest?.bytes).to.equal(BigInt(FILE_BYTES))
      expect(l.settlements(channel!.key).at(-1)).to.include({ status: 'confirmed', paid: held })
      expect(await chain.paidOut(payer, seeder)).to.equal(held)
    } finally {
      l.close()
    }
  })
})
