import { expect } from 'chai'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { addLogOptions, defaultLogFile } from '../../../agent/cli/log-flags.ts'
import { cliLogger, logFiles } from '../../../agent/cli/logging.ts'
import { CliError } from '../../../agent/cli/errors.ts'

describe('cli/logging: the log goes to a file, not the terminal', () => {
  let dir: string
  const saved = process.env['SEEDPAY_HOME']
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'seedpay-logging-')) })
  after(async () => {
    if (saved === undefined) delete process.env['SEEDPAY_HOME']
    else process.env['SEEDPAY_HOME'] = saved
    await rm(dir, { recursive: true, force: true })
  })

  it('defaults to <SEEDPAY_HOME>/logs/<command>-<UTC date>.log, and --log-file defaults to it per command', () => {
    process.env['SEEDPAY_HOME'] = dir
    expect(defaultLogFile('get', new Date('2026-12-01T23:59:00Z'))).to.equal(join(dir, 'logs', 'get-2026-12-01.log'))
    const program = new Command()
    const get = addLogOptions(program.command('get'))
    const seed = addLogOptions(program.command('seed'))
    expect(get.opts()).to.include({ logLevel: 'warn', logFile: defaultLogFile('get') })
    expect(seed.opts()['logFile']).to.equal(defaultLogFile('seed'))
    expect(seed.helpInformation()).to.contain('~/.seedpay/logs/seed-<date>.log')
  })

  it('appends JSON lines (with the stack of an error) to the file, created private to the user, one logger per destination', async () => {
    const file = join(dir, 'logs', 'nested', 'get-test.log')
    const logger = cliLogger({ logLevel: 'info', logFile: file })
    expect(cliLogger({ logLevel: 'info', logFile: file })).to.equal(logger)
    logger.info({ peer: 'x' }, 'hello')
    logger.debug('not at info')
    logger.error({ err: new Error('boom') }, 'failed')
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map(l => l['msg'])).to.deep.equal(['hello', 'failed'])
    expect(String((lines[1]!['err'] as { stack: string }).stack)).to.contain('boom')
    expect((await stat(file)).mode & 0o777).to.equal(0o600)
    expect(logFiles()).to.include(file)
  })

  it('silent opens no file; an unwritable path is one CliError with a hint', async () => {
    const quiet = join(dir, 'quiet', 'q.log')
    cliLogger({ logLevel: 'silent', logFile: quiet }).error('dropped')
    let missing: unknown
    try { await stat(quiet) } catch (err) { missing = err }
    expect(missing).to.have.property('code', 'ENOENT')
    const blocker = join(dir, 'a-file')
    await writeFile(blocker, '')
    let err: unknown
    try { cliLogger({ logLevel: 'warn', logFile: join(blocker, 'x.log') }) } catch (e) { err = e }
    expect(err).to.be.instanceOf(CliError)
    expect((err as CliError).message).to.match(/^cannot write the log file .*a-file\/x\.log/)
    expect((err as CliError).hint).to.contain('--log-file -')
  })
})
