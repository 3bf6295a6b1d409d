/**
 * Issue 12 item 3, "the hello negotiates the network": ONE `seedpay seed` accepting receipts on two networks — `local`
 * (anvil with Nile's chain id, the TRC-20-style token escrow) and `local-bttc` (anvil with BTTC's chain id 199, the
 * native-BTT escrow) — at a price each, and two `seedpay get`s in the same swarm, one funded on each network. Each
 * payer picks its network from the seeder's `seedpay_nets` offers; SIGINT settles both networks, each payer's payout
 * on its own chain is the price of the file at that network's price and is what the seeder's ledger for that network
 * holds. A payer on a network the seeder does not offer is refused with one clear line and pays nothing.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonRpcProvider, Wallet } from 'ethers'
import { EvmChain, type Deployment } from '../../agent/chain/index.ts'
import { startAnvil, ANVIL_KEYS, deployLocal, type Anvil } from '../../devtools/chain/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { amountFor, BTTC_CHAIN_ID, toAddress, type Address } from '../../agent/pay/index.ts'
import { createTorrentFile } from '../../agent/swarm/index.ts'
import { formatBtt, parseBtt } from '../../agent/cli/amounts.ts'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { runSeedpay, seedpayJson } from '../helpers/cli.ts'

const E18 = 10n ** 18n
const FILE_BYTES = 3 * 1024 * 1024
const PRICE = { local: '0.01', 'local-bttc': '0.005' } as const

interface Net { anvil: Anvil, provider: JsonRpcProvider, dep: Deployment, chain: EvmChain, args: string[] }

async function startNet (chainId: bigint | undefined, asset: 'token' | 'native'): Promise<Net> {
  const anvil = await startAnvil(chainId !== undefined ? { chainId } : {})
  const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
  const deployer = new Wallet(ANVIL_KEYS[0], provider)
  const dep = await deployLocal(deployer, { chainId: anvil.chainId, ...(asset === 'native' ? { asset } : {}) })
  const chain = await EvmChain.create({ provider, signer: deployer }, { escrow: dep.escrow.hex, chainId: anvil.chainId })
  return { anvil, provider, dep, chain, args: ['--rpc', anvil.url, '--escrow', dep.escrow.hex] }
}

const address = (key: string): Address => toAddress(new Wallet(key).address)

describe('seedpay seed on two networks: the hello negotiates the network', function () {
  this.timeout(180_000)
  let local: Net
  let bttc: Net
  let dir: string
  let torrent: string
  let data: string
  const children: SeedpayChild[] = []
  const keys: Record<'seeder' | 'payerLocal' | 'payerBttc' | 'stranger', string> = { seeder: '', payerLocal: '', payerBttc: '', stranger: '' }
  const seeder = address(ANVIL_KEYS[3])
  const payerLocal = address(ANVIL_KEYS[2])
  const payerBttc = address(ANVIL_KEYS[4])
  const stranger = address(ANVIL_KEYS[5])
  let otherEscrow: Deployment

  before(async function () {
    this.timeout(90_000)
    ;[local, bttc] = await Promise.all([startNet(undefined, 'token'), startNet(BTTC_CHAIN_ID, 'native')])
    // a second escrow on the local chain: same chain id, an escrow the seeder does not accept
    otherEscrow = await deployLocal(new Wallet(ANVIL_KEYS[1], local.provider), { chainId: local.anvil.chainId })
    dir = await mkdtemp(join(tmpdir(), 'seedpay-nets-'))
    for (const [name, i] of [['seeder', 3], ['payerLocal', 2], ['payerBttc', 4], ['stranger', 5]] as const) {
      keys[name] = join(dir, `${name}.key`)
      await writeFile(keys[name], ANVIL_KEYS[i] + '\n', { mode: 0o600 })
    }
    await local.chain.mintTestBTT(payerLocal, 100n * E18)
    await seedpayJson(['deposit', '5', ...local.args, '--key-file', keys.payerLocal])
    await seedpayJson(['deposit', '5', '--network', 'local-bttc', ...bttc.args, '--key-file', keys.payerBttc])
    const strangerChain = await EvmChain.create({ provider: local.provider, signer: new Wallet(ANVIL_KEYS[1], local.provider) }, { escrow: otherEscrow.escrow.hex, chainId: local.anvil.chainId })
    await strangerChain.mintTestBTT(stranger, 100n * E18)
    await seedpayJson(['deposit', '5', '--rpc', local.anvil.url, '--escrow', otherEscrow.escrow.hex, '--key-file', keys.stranger])
    data = join(dir, 'seed')
    await mkdir(data, { recursive: true })
    await writeFile(join(data, 'file.bin'), randomBytes(FILE_BYTES))
    torrent = join(dir, 'file.torrent')
    await writeFile(torrent, await createTorrentFile(join(data, 'file.bin'), { pieceLength: 256 * 1024 }))
  })

  afterEach(async () => { await Promise.all(children.splice(0).map(async c => await c.kill())) })

  after(async () => {
    for (const n of [local, bttc]) { n?.provider.destroy(); await n?.anvil.stop() }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  const ledgers = (): Record<'local' | 'local-bttc', string> => ({ local: join(dir, 'seeder-local.sqlite'), 'local-bttc': join(dir, 'seeder-bttc.sqlite') })

  async function startSeeder (): Promise<{ seed: SeedpayChild, peer: string, terms: Array<Record<string, unknown>> }> {
    const l = ledgers()
    const seed = new SeedpayChild(['seed', torrent, '--data', data, '--free-slots', '0', '--key-file', keys.seeder,
      '--network', 'local,local-bttc',
      '--price', `local=${PRICE.local},local-bttc=${PRICE['local-bttc']}`,
      '--rpc', `local=${local.anvil.url},local-bttc=${bttc.anvil.url}`,
      '--escrow', `local=${local.dep.escrow.hex},local-bttc=${bttc.dep.escrow.hex}`,
      '--ledger', `local=${l.local},local-bttc=${l['local-bttc']}`])
    children.push(seed)
    const terms = [await seed.next('payments', 30_000), await seed.next('payments', 30_000)]
    const listening = await seed.next('listening', 30_000)
    return { seed, peer: `127.0.0.1:${String(listening['port'])}`, terms }
  }

  function held (path: string, payer: Address): { bytes: bigint, amount: bigint } | null {
    const ledger = new Ledger({}, { path })
    try {
      const c = ledger.channels().find(x => x.role === 'payee' && x.key.payer === payer && x.key.payee === seeder)
      return c?.newest === undefined || c.newest === null ? null : { bytes: c.newest.bytes, amount: c.newest.amount }
    } finally {
      ledger.close()
    }
  }

  it('a seeder accepting two networks is paid by one payer on each in the same swarm; SIGINT settles each at its price', async () => {
    const { seed, peer, terms } = await startSeeder()
    expect(terms.map(t => [t['network'], t['pricePerMiB'], t['escrow']])).to.deep.equal([
      ['local', PRICE.local, local.dep.escrow.hex], ['local-bttc', PRICE['local-bttc'], bttc.dep.escrow.hex]
    ])
    const get = (name: string, chainArgs: string[], key: string): SeedpayChild => {
      const child = new SeedpayChild(['get', torrent, '--out', join(dir, `out-${name}`), '--peer', peer, '--max-price', '0.02', ...chainArgs,
        '--key-file', key, '--ledger', join(dir, `payer-${name}.sqlite`)])
      children.push(child)
      return child
    }
    const a = get('local', local.args, keys.payerLocal)
    const b = get('bttc', ['--network', 'local-bttc', ...bttc.args], keys.payerBttc)
    // each payer hears the seeder's price on its own network
    expect(await a.next('payment:peer', 30_000)).to.include({ account: seeder, pricePerMiB: PRICE.local })
    expect(await b.next('payment:peer', 30_000)).to.include({ account: seeder, pricePerMiB: PRICE['local-bttc'] })
    const [paidA, paidB] = await Promise.all([a.next('paid', 60_000), b.next('paid', 60_000)])
    expect(await a.exited, a.stderr).to.equal(0)
    expect(await b.exited, b.stderr).to.equal(0)
    for (const name of ['local', 'bttc']) {
      expect(Buffer.compare(await readFile(join(dir, `out-${name}`, 'file.bin')), await readFile(join(data, 'file.bin')))).to.equal(0)
    }
    const peers = [await seed.next('payment:peer', 5_000), await seed.next('payment:peer', 5_000)]
    expect(Object.fromEntries(peers.map(p => [p['account'], p['network']]))).to.deep.equal({ [payerLocal]: 'local', [payerBttc]: 'local-bttc' })

    expect(await seed.stop(), seed.stderr).to.equal(0)
    const settled = [await seed.next('settlement', 5_000), await seed.next('settlement', 5_000)]
    expect(settled.map(s => s['network']).sort()).to.deep.equal(['local', 'local-bttc'])

    const l = ledgers()
    for (const [net, payer, path, paid, price] of [
      [local, payerLocal, l.local, paidA, PRICE.local],
      [bttc, payerBttc, l['local-bttc'], paidB, PRICE['local-bttc']]
    ] as const) {
      const expected = amountFor(BigInt(FILE_BYTES), parseBtt('--price', price))
      const h = held(path, payer)
      expect(h).to.deep.equal({ bytes: BigInt(FILE_BYTES), amount: expected })
      expect(await net.chain.paidOut(payer, seeder)).to.equal(expected)
      expect((paid['channels'])).to.deep.equal([{ payee: seeder, bytes: String(FILE_BYTES), amount: formatBtt(expected) }])
    }
    // each network's ledger holds only its own payer
    expect(held(l.local, payerBttc)).to.equal(null)
    expect(held(l['local-bttc'], payerLocal)).to.equal(null)
    // and the other chain paid nothing across: the local payer has no payout on BTTC's escrow, and vice versa
    expect(await bttc.chain.paidOut(payerLocal, seeder)).to.equal(0n)
    expect(await local.chain.paidOut(payerBttc, seeder)).to.equal(0n)
  })

  it('a payer on a network the seeder does not offer is refused in one clear line and pays nothing', async () => {
    const { seed, peer } = await startSeeder()
    const ledger = join(dir, 'payer-stranger.sqlite')
    const r = await runSeedpay(['get', torrent, '--out', join(dir, 'out-stranger'), '--peer', peer, '--max-price', '0.02', '--stall-timeout', '12',
      '--rpc', local.anvil.url, '--escrow', otherEscrow.escrow.hex, '--key-file', keys.stranger, '--ledger', ledger])
    expect(r.code, r.stderr).to.equal(4)
    const line = r.stderr.split('\n').find(l => l.startsWith('error: '))
    expect(line, r.stderr).to.match(/refused \(escrow\): no common network: the peer accepts receipts on chain 3448148188 escrow 0x[0-9a-f]{4}…[0-9a-f]{4}, chain 199 escrow .*; we accept chain 3448148188 escrow/)
    expect(r.stderr).to.match(/another escrow/)
    expect(r.stderr).not.to.match(/\n\s+at /)
    expect(await seed.stop(), seed.stderr).to.equal(0)
    expect(held(ledgers().local, stranger)).to.equal(null)
    const own = new Ledger({}, { path: ledger })
    try { expect(own.channels().filter(c => c.newest !== null)).to.deep.equal([]) } finally { own.close() }
  })
})
