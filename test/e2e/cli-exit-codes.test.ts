/**
 * docs/cli.md's exit codes, command by command, through the real `seedpay` CLI: bad input exits 2 and a failed
 * operation 1, each with exactly one `error:` line and one hint line and never a stack trace. The failing
 * operation is the cheap one every chain command has: a --rpc where nothing listens (127.0.0.1:1).
 * Runs in a throwaway SEEDPAY_HOME and deployments folder, so no key, ledger or deployment of the machine counts.
 */
import { expect } from 'chai'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { runSeedpay, type CliRun } from '../helpers/cli.ts'

const SEEDER = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
const ESCROW = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const DOWN = ['--rpc', 'http://127.0.0.1:1', '--escrow', ESCROW]

/** Exactly `error: <what>` and one indented hint, no stack frame; returns the two lines. */
function twoLines (r: CliRun, code: number, what: string): [string, string] {
  expect(r.code, `${what}: exit code\n${r.stderr}`).to.equal(code)
  expect(r.stderr, `${what}: a stack frame`).to.not.match(/^\s+at /m)
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines, `${what}: stderr is not two lines\n${r.stderr}`).to.have.length(2)
  expect(lines[0], what).to.match(/^error: \S/)
  expect(lines[1], what).to.match(/^ {2}\S/)
  return [lines[0]!, lines[1]!]
}

/** Runs the CLI two at a time (each run is mostly node's start-up), results in order. */
async function inPairs<T> (jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = []
  for (let i = 0; i < jobs.length; i += 2) out.push(...await Promise.all(jobs.slice(i, i + 2).map(async j => await j())))
  return out
}

describe('seedpay CLI: exit codes', function () {
  this.timeout(300_000)
  let dir: string
  let env: NodeJS.ProcessEnv
  let keyFile: string
  let torrent: string
  let garbage: string
  const run = async (args: string[]): Promise<CliRun> => await runSeedpay(args, env)

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seedpay-exit-'))
    env = { SEEDPAY_HOME: join(dir, 'home'), SEEDPAY_DEPLOYMENTS_DIR: join(dir, 'deployments'), SEEDPAY_KEY: '', SEEDPAY_PASSPHRASE: '' }
    await mkdir(join(dir, 'deployments'))
    keyFile = join(dir, 'payer.key')
    await writeFile(keyFile, ANVIL_KEYS[2] + '\n', { mode: 0o600 })
    await mkdir(join(dir, 'data'))
    await writeFile(join(dir, 'data', 'a.bin'), Buffer.alloc(40_000, 7))
    torrent = join(dir, 'data.torrent')
    const created = await run(['create', join(dir, 'data'), '-o', torrent])
    expect(created.code, created.stderr).to.equal(0)
    garbage = join(dir, 'garbage.torrent')
    await writeFile(garbage, 'not bencode at all')
  })

  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('--version and -V print "seedpay <version from package.json>" and exit 0', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    for (const flag of ['--version', '-V']) {
      const r = await run([flag])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.equal(`seedpay ${version}\n`)
    }
  })

  it('usage errors exit 2 with commander\'s one line and a pointer to the command\'s help, not the whole help', async () => {
    const [err, hint] = twoLines(await run(['get', torrent]), 2, 'get without --out')
    expect(err).to.equal('error: required option \'-o, --out <dir>\' not specified')
    expect(hint).to.equal('  see `seedpay get --help`')
    expect(twoLines(await run(['frobnicate']), 2, 'unknown command')).to.deep.equal(['error: unknown command \'frobnicate\'', '  see `seedpay --help`'])
    expect(twoLines(await run(['create', '--frob', 'x']), 2, 'unknown option')).to.deep.equal(['error: unknown option \'--frob\'', '  see `seedpay create --help`'])
    expect(twoLines(await run(['lane', 'release', 'request']), 2, 'missing argument')[1]).to.equal('  see `seedpay lane release request --help`')
    expect(twoLines(await run(['withdraw', 'request', '1', 'extra']), 2, 'too many arguments')[1]).to.equal('  see `seedpay withdraw request --help`')
    const help = await run(['get', '--help'])
    expect(help.code).to.equal(0)
    expect(help.stdout).to.match(/^Usage: seedpay get/)
  })

  /** Per command: input it refuses (2). `key …` is skipped when this checkout has no `seedpay key` yet. */
  const badInput: Array<[string, () => string[]]> = [
    ['create: a missing folder', () => ['create', join(dir, 'no-such-folder')]],
    ['create: a bad --piece-length', () => ['create', join(dir, 'data'), '--piece-length', '1000', '-o', join(dir, 'x.torrent')]],
    ['seed: a missing .torrent', () => ['seed', join(dir, 'missing.torrent'), '--data', dir]],
    ['seed: without --data', () => ['seed', torrent]],
    ['seed: --data without the torrent\'s files', () => ['seed', torrent, '--data', join(dir, 'deployments')]],
    ['get: a missing .torrent', () => ['get', join(dir, 'missing.torrent'), '--out', join(dir, 'out')]],
    ['get: a file that is not a torrent', () => ['get', garbage, '--out', join(dir, 'out')]],
    ['get: --peer nonsense', () => ['get', torrent, '--out', join(dir, 'out'), '--peer', 'nonsense']],
    ['get: a bad magnet link', () => ['get', 'magnet:?xt=urn:btih:123', '--out', join(dir, 'out')]],
    ['get: --port out of range', () => ['get', torrent, '--out', join(dir, 'out'), '--port', '70000']],
    ['account: a bad --address', () => ['account', ...DOWN, '--address', 'nonsense']],
    ['account: an unknown --network', () => ['account', '--network', 'nowhere']],
    ['mint: a bad amount', () => ['mint', '1.2.3', ...DOWN, '--key-file', keyFile]],
    ['mint: no key', () => ['mint', '1', ...DOWN]],
    ['deposit: a negative amount', () => ['deposit', '-1', ...DOWN, '--key-file', keyFile]],
    ['withdraw request: a bad amount', () => ['withdraw', 'request', 'abc', ...DOWN, '--key-file', keyFile]],
    ['withdraw cancel: no key', () => ['withdraw', 'cancel', ...DOWN]],
    ['withdraw execute: a missing --key-file', () => ['withdraw', 'execute', ...DOWN, '--key-file', join(dir, 'nope.key')]],
    ['signer set: a bad address', () => ['signer', 'set', 'nonsense', ...DOWN, '--key-file', keyFile]],
    ['signer new: without --out', () => ['signer', 'new', ...DOWN, '--key-file', keyFile]],
    ['lane list: a bad --address', () => ['lane', 'list', ...DOWN, '--address', 'nonsense']],
    ['lane reserve: not seeder=BTT', () => ['lane', 'reserve', 'nonsense', ...DOWN, '--key-file', keyFile]],
    ['lane release request: a bad payee', () => ['lane', 'release', 'request', 'nonsense', 'all', ...DOWN, '--key-file', keyFile]],
    ['settle: --max-batch 0', () => ['settle', '--max-batch', '0', ...DOWN, '--key-file', keyFile]],
    ['audit: a bad --payee', () => ['audit', ...DOWN, '--payee', 'nonsense']],
    ['key new: a bad --name', () => ['key', 'new', '--name', 'bad/name']],
    ['key import: a --from-file without a key', () => ['key', 'import', '--from-file', keyFile + '.none']],
    ['key export: no key named', () => ['key', 'export']],
    ['key list: an unknown option', () => ['key', 'list', '--frob']]
  ]

  it('bad input exits 2 with one error line and one hint, for every command', async () => {
    const hasKey = (await run(['key', '--help'])).code === 0
    const cases = badInput.filter(([what]) => hasKey || !what.startsWith('key '))
    const runs = await inPairs(cases.map(([, args]) => async () => await run(args())))
    cases.forEach(([what], i) => { twoLines(runs[i]!, 2, what) })
  })

  it('a failed operation exits 1 with one error line and one hint: every chain command with no node at --rpc', async () => {
    const k = ['--key-file', keyFile]
    const cases: Array<[string, string[]]> = [
      ['account', ['account', ...DOWN, '--address', SEEDER]],
      ['mint', ['mint', '1', ...DOWN, ...k]],
      ['deposit', ['deposit', '1', ...DOWN, ...k]],
      ['withdraw request', ['withdraw', 'request', '1', ...DOWN, ...k]],
      ['withdraw cancel', ['withdraw', 'cancel', ...DOWN, ...k]],
      ['withdraw execute', ['withdraw', 'execute', ...DOWN, ...k]],
      ['signer set', ['signer', 'set', SEEDER, ...DOWN, ...k]],
      ['signer new', ['signer', 'new', '--out', join(dir, 'hot.key'), ...DOWN, ...k]],
      ['lane list', ['lane', 'list', ...DOWN, '--address', SEEDER]],
      ['lane reserve', ['lane', 'reserve', `${SEEDER}=1`, ...DOWN, ...k]],
      ['lane release request', ['lane', 'release', 'request', SEEDER, 'all', ...DOWN, ...k]],
      ['lane release cancel', ['lane', 'release', 'cancel', SEEDER, ...DOWN, ...k]],
      ['lane release execute', ['lane', 'release', 'execute', SEEDER, ...DOWN, ...k]],
      ['settle', ['settle', ...DOWN, ...k, '--ledger', join(dir, 'seeder.sqlite')]],
      ['audit', ['audit', ...DOWN, '--payee', SEEDER, '--ledger', join(dir, 'seeder.sqlite')]],
      ['seed --price', ['seed', torrent, '--data', dir, '--price', '0.01', ...DOWN, ...k]],
      ['get --max-price', ['get', torrent, '--out', join(dir, 'out'), '--max-price', '0.01', ...DOWN, ...k]]
    ]
    const runs = await inPairs(cases.map(([, args]) => async () => await run(args)))
    cases.forEach(([what], i) => {
      const [, hint] = twoLines(runs[i]!, 1, what)
      expect(hint, what).to.match(/--rpc/)
    })
  })
})
