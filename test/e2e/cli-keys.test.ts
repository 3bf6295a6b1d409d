/**
 * `seedpay key new | import | list | export` and keystores on the chain commands, as a person runs them: the real
 * CLI, real files in a throwaway SEEDPAY_HOME, a real terminal (util-linux `script`) for the prompt, and a real
 * anvil for `deposit` / `account` with `--key-file <keystore>` and `--key <name>`.
 */
import { expect } from 'chai'
import { spawn, spawnSync } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonRpcProvider, Wallet, encryptKeystoreJsonSync } from 'ethers'
import { TronWeb } from 'tronweb'
import { toTronAddress, type Deployment } from '../../agent/chain/index.ts'
import { startAnvil, ANVIL_KEYS, deployLocal, type Anvil } from '../../devtools/chain/index.ts'
import { toAddress } from '../../agent/pay/index.ts'
import { createTorrentFile } from '../../agent/swarm/index.ts'
import { SEEDPAY_BIN, SEEDPAY_NODE_FLAGS } from '../../devtools/seedpay-child.ts'
import { runSeedpay, type CliRun } from '../helpers/cli.ts'

/** A private key in TronLink's export form (64 hex digits, no 0x), and a second one. */
const TRONLINK_KEY = '8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f'
const OTHER_KEY = ANVIL_KEYS[8].slice(2)

const noStack = (r: CliRun): void => { expect(r.stderr).to.not.match(/\n\s+at /) }

/** The error a refused input gives: exit 2, `error: <line>` and one hint line, nothing else. */
function refused (r: CliRun, message: RegExp): string[] {
  expect(r.code, r.stderr).to.equal(2)
  noStack(r)
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines, r.stderr).to.have.length(2)
  expect(lines[0]).to.match(/^error: /)
  expect(lines[0]).to.match(message)
  return lines
}

describe('seedpay CLI: keys', function () {
  this.timeout(120_000)
  let dir: string
  let home: string
  /** No key or passphrase from the outer environment; light scrypt (SEEDPAY_SCRYPT_N) unless a test says otherwise. */
  let env: NodeJS.ProcessEnv
  const cli = async (args: string[], extra: NodeJS.ProcessEnv = {}, input?: string): Promise<CliRun> =>
    await runSeedpay(args, { ...env, ...extra }, input)
  const ok = async (args: string[], extra: NodeJS.ProcessEnv = {}, input?: string): Promise<Record<string, unknown>> => {
    const r = await cli([...args, '--json'], extra, input)
    expect(r.code, r.stderr).to.equal(0)
    return JSON.parse(r.stdout) as Record<string, unknown>
  }
  const list = async (): Promise<Array<{ name: string, address: string, base58: string, path: string }>> =>
    (await ok(['key', 'list']))['keys'] as Array<{ name: string, address: string, base58: string, path: string }>

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seedpay-cli-keys-'))
    home = join(dir, 'home')
    env = { SEEDPAY_HOME: home, SEEDPAY_KEY: undefined, SEEDPAY_PASSPHRASE: undefined, SEEDPAY_SCRYPT_N: '1024' }
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('key new → list → export: a keystore with ethers\' default scrypt, mode 600 in a mode 700 store, and its hex back', async () => {
    const made = await ok(['key', 'new', '--name', 'alice'], { SEEDPAY_PASSPHRASE: 'correct horse', SEEDPAY_SCRYPT_N: undefined })
    const path = join(home, 'keys', 'alice.json')
    expect(made).to.include({ name: 'alice', path })
    expect((await stat(path)).mode & 0o777).to.equal(0o600)
    expect((await stat(join(home, 'keys'))).mode & 0o777).to.equal(0o700)
    const file = JSON.parse(await readFile(path, 'utf8')) as { version: number, Crypto: { kdf: string, kdfparams: { n: number } } }
    expect(file.version).to.equal(3)
    expect(file.Crypto.kdf).to.equal('scrypt')
    expect(file.Crypto.kdfparams.n).to.equal(131072)

    const keys = await list()
    expect(keys).to.have.length(1)
    expect(keys[0]).to.include({ name: 'alice', address: made['address'], base58: toTronAddress(made['address'] as string) })

    const r = await cli(['key', 'export', 'alice'], { SEEDPAY_PASSPHRASE: 'correct horse' })
    expect(r.code, r.stderr).to.equal(0)
    const hex = r.stdout.trim()
    expect(hex).to.match(/^[0-9a-f]{64}$/)
    expect(toAddress(new Wallet('0x' + hex).address)).to.equal(made['address'])
    expect(r.stderr.trimEnd().split('\n')).to.have.length(1)
    expect(r.stderr).to.match(/^warning: .*private key/)
    // by its TRON address too, and --json
    const byTron = await ok(['key', 'export', made['base58'] as string], { SEEDPAY_PASSPHRASE: 'correct horse' })
    expect(byTron).to.include({ name: 'alice', privateKey: hex, address: made['address'] })
  })

  it('key import of a TronLink export (64 hex, no 0x) from stdin gives the TRON address TronWeb gives', async () => {
    const imported = await ok(['key', 'import', '--name', 'tronlink'], { SEEDPAY_PASSPHRASE: 'pw' }, TRONLINK_KEY + '\n')
    const expected = TronWeb.address.fromPrivateKey(TRONLINK_KEY)
    expect(imported['base58']).to.equal(expected)
    expect((await list())[0]).to.include({ name: 'tronlink', base58: expected })
    // and the text form prints both address forms
    const keyFile = join(dir, 'other.hex')
    await writeFile(keyFile, '0x' + OTHER_KEY + '\n', { mode: 0o600 })
    const r = await cli(['key', 'import', '--from-file', keyFile], { SEEDPAY_PASSPHRASE: 'pw' })
    expect(r.code, r.stderr).to.equal(0)
    const address = toAddress(new Wallet(ANVIL_KEYS[8]).address)
    expect(r.stdout).to.include(address).and.to.include(toTronAddress(address))
    // the default name is the address
    expect((await list()).map(k => k.name)).to.deep.equal([address, 'tronlink'])
  })

  it('key import of an ethers/geth keystore keeps its passphrase; one without an address field is found by address', async () => {
    const wallet = new Wallet(ANVIL_KEYS[9])
    const json = JSON.parse(encryptKeystoreJsonSync({ address: wallet.address, privateKey: wallet.privateKey }, 'theirs', { scrypt: { N: 1024 } })) as Record<string, unknown>
    delete json['address']
    const file = join(dir, 'UTC--geth.json')
    await writeFile(file, JSON.stringify(json), { mode: 0o600 })
    refused(await cli(['key', 'import', '--from-file', file], { SEEDPAY_PASSPHRASE: 'mine' }), /wrong passphrase for .*UTC--geth\.json/)
    const imported = await ok(['key', 'import', '--from-file', file, '--name', 'geth'], { SEEDPAY_PASSPHRASE: 'theirs' })
    const address = toAddress(wallet.address)
    expect(imported).to.include({ name: 'geth', address })
    const exported = await ok(['key', 'export', address], { SEEDPAY_PASSPHRASE: 'theirs' })
    expect('0x' + (exported['privateKey'] as string)).to.equal(ANVIL_KEYS[9])
  })

  it('a wrong passphrase exits 2 with one error line and a hint, no stack', async () => {
    await ok(['key', 'new', '--name', 'k'], { SEEDPAY_PASSPHRASE: 'right' })
    const [, hint] = refused(await cli(['key', 'export', 'k'], { SEEDPAY_PASSPHRASE: 'wrong' }), /^error: wrong passphrase for .*k\.json$/)
    expect(hint).to.match(/SEEDPAY_PASSPHRASE|--passphrase-file/)
    // from --passphrase-file: its trailing newline is not part of the passphrase
    const pf = join(dir, 'pass.txt')
    await writeFile(pf, 'right\n', { mode: 0o600 })
    expect((await ok(['key', 'export', 'k', '--passphrase-file', pf]))['name']).to.equal('k')
    await writeFile(pf, 'wrong\n')
    refused(await cli(['key', 'export', 'k', '--passphrase-file', pf]), /wrong passphrase/)
  })

  it('no terminal and no passphrase: exit 2 saying how to give one (new, export, --key-file <keystore>)', async () => {
    const lines = refused(await cli(['key', 'new']), /no passphrase for .*stdin is not a terminal/)
    expect(lines[1]).to.match(/SEEDPAY_PASSPHRASE/).and.to.match(/--passphrase-file/)
    expect(await list()).to.deep.equal([])
    await ok(['key', 'new', '--name', 'k'], { SEEDPAY_PASSPHRASE: 'pw' })
    refused(await cli(['key', 'export', 'k']), /no passphrase/)
    const keystore = join(home, 'keys', 'k.json')
    refused(await cli(['deposit', '1', '--rpc', 'http://127.0.0.1:1', '--escrow', toAddress(new Wallet(ANVIL_KEYS[1]).address), '--key-file', keystore]), /no passphrase for .*k\.json/)
    // import with nothing piped in
    refused(await cli(['key', 'import'], { SEEDPAY_PASSPHRASE: 'pw' }, ''), /no key on stdin/)
  })

  it('refuses key and passphrase files that group or others may read or write, with the chmod hint', async () => {
    const hexFile = join(dir, 'payer.key')
    await writeFile(hexFile, ANVIL_KEYS[2] + '\n', { mode: 0o644 })
    await chmod(hexFile, 0o644) // whatever the umask
    // old code read this file and went on to the (unreachable) node: exit 1, not this
    const chain = ['--rpc', 'http://127.0.0.1:1', '--escrow', toAddress(new Wallet(ANVIL_KEYS[1]).address)]
    const [line, hint] = refused(await cli(['account', ...chain, '--key-file', hexFile]), /is readable by others/)
    expect(line).to.equal(`error: ${hexFile} is readable by others (mode 0644)`)
    expect(hint).to.equal(`  chmod 600 ${hexFile}`)
    const data = join(dir, 'f.bin')
    await writeFile(data, 'some bytes')
    await writeFile(join(dir, 'f.torrent'), await createTorrentFile(data))
    refused(await cli(['get', join(dir, 'f.torrent'), '--out', join(dir, 'o'), '--max-price', '1', ...chain, '--signer-key', hexFile, '--account', toAddress(new Wallet(ANVIL_KEYS[2]).address)]), /payer\.key is readable by others \(mode 0644\)/)
    refused(await cli(['key', 'import', '--from-file', hexFile], { SEEDPAY_PASSPHRASE: 'pw' }), /payer\.key is readable by others \(mode 0644\)/)
    await chmod(hexFile, 0o620)
    refused(await cli(['account', ...chain, '--key-file', hexFile]), /payer\.key is writable by others \(mode 0620\)/)

    // a keystore, in the store or not
    await ok(['key', 'new', '--name', 'k'], { SEEDPAY_PASSPHRASE: 'pw' })
    const keystore = join(home, 'keys', 'k.json')
    await chmod(keystore, 0o640)
    refused(await cli(['key', 'export', 'k'], { SEEDPAY_PASSPHRASE: 'pw' }), /k\.json is readable by others \(mode 0640\)/)
    refused(await cli(['account', ...chain, '--key', 'k'], { SEEDPAY_PASSPHRASE: 'pw' }), /k\.json is readable by others \(mode 0640\)/)
    await chmod(keystore, 0o600)
    const pf = join(dir, 'pass.txt')
    await writeFile(pf, 'pw', { mode: 0o644 })
    await chmod(pf, 0o644)
    refused(await cli(['key', 'export', 'k', '--passphrase-file', pf]), /pass\.txt is readable by others/)
  })

  it('never overwrites: a taken name or a key already stored is refused, the file unchanged', async () => {
    await ok(['key', 'import', '--name', 'a'], { SEEDPAY_PASSPHRASE: 'pw' }, TRONLINK_KEY)
    const path = join(home, 'keys', 'a.json')
    const before = await readFile(path, 'utf8')
    refused(await cli(['key', 'new', '--name', 'a'], { SEEDPAY_PASSPHRASE: 'pw' }), /a key named "a" already exists/)
    refused(await cli(['key', 'import', '--name', 'a'], { SEEDPAY_PASSPHRASE: 'pw' }, OTHER_KEY), /a key named "a" already exists/)
    refused(await cli(['key', 'import', '--name', 'b'], { SEEDPAY_PASSPHRASE: 'pw' }, '0x' + TRONLINK_KEY), /already in the key store as "a"/)
    refused(await cli(['key', 'new', '--name', '../escape'], { SEEDPAY_PASSPHRASE: 'pw' }), /key name "\.\.\/escape" is not allowed/)
    expect(await readFile(path, 'utf8')).to.equal(before)
    expect((await list()).map(k => k.name)).to.deep.equal(['a'])
  })

  /**
   * Runs `seedpay ...args` on a real pseudo-terminal (util-linux `script`), typing each answer once its prompt
   * has appeared; returns the exit code, what the terminal showed, and the answers never asked for.
   */
  async function onTerminal (args: string[], answers: Array<[RegExp, string]>): Promise<{ code: number, seen: string, unasked: number }> {
    const cmd = [process.execPath, ...SEEDPAY_NODE_FLAGS, SEEDPAY_BIN, ...args].map(a => `'${a}'`).join(' ')
    const p = spawn('script', ['-qefc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env, SEEDPAY_KEY: '', TERM: 'dumb' } })
    let seen = ''
    p.stdout.on('data', (d: Buffer) => {
      seen += d.toString()
      const next = answers[0]
      if (next !== undefined && next[0].test(seen.trimEnd() + ' ')) { answers.shift(); p.stdin.write(next[1]) }
    })
    const code = await new Promise<number>(resolve => p.once('exit', c => { resolve(c ?? 1) }))
    return { code, seen, unasked: answers.length }
  }

  describe('on a terminal', function () {
    before(function () {
      if (spawnSync('script', ['--version']).error !== undefined) this.skip() // util-linux `script` makes the terminal
    })

    it('key new asks for the passphrase twice without echoing it', async () => {
      const r = await onTerminal(['key', 'new', '--name', 'tty'], [[/new passphrase for key "tty": $/, 'sEcReT-typed\r'], [/the same passphrase again: $/, 'sEcReT-typed\r']])
      expect(r.code, r.seen).to.equal(0)
      expect(r.unasked, r.seen).to.equal(0)
      expect(r.seen).to.include('new key "tty" saved')
      expect(r.seen).to.not.include('sEcReT')
      expect((await ok(['key', 'export', 'tty'], { SEEDPAY_PASSPHRASE: 'sEcReT-typed' }))['name']).to.equal('tty')
    })

    it('key import asks for the hex key without echoing it; two different passphrases are refused', async () => {
      const differ = await onTerminal(['key', 'import', '--name', 'tl'], [[/private key \(64 hex digits.*: $/, TRONLINK_KEY + '\r'], [/new passphrase for key "tl": $/, 'one\r'], [/again: $/, 'two\r']])
      expect(differ.code, differ.seen).to.equal(2)
      expect(differ.seen).to.include('the two passphrases differ')
      expect(await list()).to.deep.equal([])
      const r = await onTerminal(['key', 'import', '--name', 'tl'], [[/private key \(64 hex digits.*: $/, TRONLINK_KEY + '\r'], [/new passphrase for key "tl": $/, 'pw\r'], [/again: $/, 'pw\r']])
      expect(r.code, r.seen).to.equal(0)
      expect(r.seen).to.not.include(TRONLINK_KEY)
      expect(r.seen).to.include(TronWeb.address.fromPrivateKey(TRONLINK_KEY))
    })
  })

  describe('on a chain (anvil)', () => {
    let anvil: Anvil
    let provider: JsonRpcProvider
    let dep: Deployment
    let chainArgs: string[]

    before(async function () {
      this.timeout(60_000)
      anvil = await startAnvil()
      provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
      dep = await deployLocal(new Wallet(ANVIL_KEYS[0], provider), { chainId: anvil.chainId })
      chainArgs = ['--rpc', anvil.url, '--escrow', dep.escrow.hex]
    })
    after(async () => {
      provider?.destroy()
      await anvil?.stop()
    })

    it('mint, deposit and account with --key-file <keystore> and with --key <name>', async () => {
      const account = toAddress(new Wallet(ANVIL_KEYS[7]).address)
      // a keystore outside the store, as ethers writes it
      const keystore = join(dir, 'payer.json')
      await writeFile(keystore, encryptKeystoreJsonSync({ address: account, privateKey: ANVIL_KEYS[7] }, 'pw', { scrypt: { N: 1024 } }), { mode: 0o600 })
      const pass = { SEEDPAY_PASSPHRASE: 'pw' }
      expect(await ok(['mint', '20', ...chainArgs, '--key-file', keystore], pass)).to.include({ account })
      expect(await ok(['deposit', '5', ...chainArgs, '--key-file', keystore], pass)).to.include({ account, escrowBalance: '5' })
      refused(await cli(['deposit', '1', ...chainArgs, '--key-file', keystore], { SEEDPAY_PASSPHRASE: 'nope' }), /wrong passphrase/)

      // the same key in the store, by name and by TRON address
      await ok(['key', 'import', '--from-file', keystore, '--name', 'payer'], pass)
      expect(await ok(['deposit', '2', ...chainArgs, '--key', 'payer'], pass)).to.include({ account, escrowBalance: '7' })
      const shown = await ok(['account', ...chainArgs, '--key', toTronAddress(account)], pass)
      expect(shown).to.include({ account, escrowBalance: '7', accountBase58: toTronAddress(account) })
      // reading needs the address, not the key: the passphrase is not even tried (a signing command tries it)
      expect(await ok(['account', ...chainArgs, '--key', 'payer'], { SEEDPAY_PASSPHRASE: '' })).to.include({ account, escrowBalance: '7' })
      expect(await ok(['lane', 'list', ...chainArgs, '--key-file', keystore], { SEEDPAY_PASSPHRASE: '' })).to.include({ payer: account })
      refused(await cli(['deposit', '1', ...chainArgs, '--key', 'payer'], { SEEDPAY_PASSPHRASE: '' }), /wrong passphrase/)
      refused(await cli(['account', ...chainArgs, '--key', 'nobody'], pass), /no key "nobody" in /)
      refused(await cli(['account', ...chainArgs, '--key', 'payer', '--key-file', keystore], pass), /pass --key or --key-file, not both/)
    })

    it('signer new --keystore writes the hot key encrypted, mode 600, and --key-file reads it', async () => {
      const hexFile = join(dir, 'cold.key')
      await writeFile(hexFile, ANVIL_KEYS[6] + '\n', { mode: 0o600 })
      const out = join(dir, 'hot.json')
      const made = await ok(['signer', 'new', '--out', out, '--keystore', ...chainArgs, '--key-file', hexFile], { SEEDPAY_PASSPHRASE: 'hot' })
      expect((await stat(out)).mode & 0o777).to.equal(0o600)
      expect(JSON.parse(await readFile(out, 'utf8'))).to.have.property('Crypto')
      const shown = await ok(['account', ...chainArgs, '--key-file', out], { SEEDPAY_PASSPHRASE: 'hot' })
      expect(shown['account']).to.equal(made['signer'])
    })
  })
})
