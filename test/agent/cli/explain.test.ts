/**
 * explain(): the hint follows the error's errno code and syscall, on real errors Node raises (a refused
 * connection, a missing file, a folder read as a file, a port in use), and wrapped the ways libraries wrap them.
 */
import { expect } from 'chai'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, connect, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explain, systemError } from '../../../agent/cli/explain.ts'
import { CliError } from '../../../agent/cli/errors.ts'
import { explainChainError } from '../../../agent/cli/chain-errors.ts'
import { InvalidTorrentError, loadTorrent } from '../../../agent/swarm/index.ts'

async function caught (p: Promise<unknown>): Promise<unknown> {
  try { await p } catch (err) { return err }
  throw new Error('expected a rejection')
}

async function refusedConnection (): Promise<unknown> {
  return await new Promise(resolve => { connect({ host: '127.0.0.1', port: 1 }).once('error', resolve) })
}

describe('cli explain()', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'seedpay-explain-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('a refused connection gets a network hint naming the address, not a file hint', async () => {
    const e = explain(await refusedConnection())
    expect(e.code).to.equal(1)
    expect(e.message).to.match(/ECONNREFUSED 127\.0\.0\.1:1/)
    expect(e.hint).to.match(/127\.0\.0\.1:1/)
    expect(e.hint).to.match(/running/)
    expect(e.hint).to.not.match(/path|permission/)
  })

  it('finds the errno error under a wrapper (fetch\'s TypeError cause, an AggregateError with no message)', async () => {
    // fetch refuses port 1 outright ("bad port"): use a port that was free a moment ago.
    const probe = createServer()
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as { port: number }).port
    await new Promise(resolve => probe.close(resolve))
    const fetched = await caught(fetch(`http://127.0.0.1:${port}/`))
    expect((fetched as Error).message).to.equal('fetch failed')
    const e = explain(fetched)
    expect(e.code).to.equal(1)
    expect(e.hint).to.contain(`nothing accepts connections at 127.0.0.1:${port}`)
    const agg = new AggregateError([await refusedConnection()], '')
    expect(systemError(agg)?.code).to.equal('ECONNREFUSED')
    expect(systemError(new Error('outer', { cause: new Error('middle', { cause: await refusedConnection() }) }))?.port).to.equal(1)
  })

  it('a missing file is bad input (2) with a hint naming the path; a folder read as a file too (2)', async () => {
    const missing = join(dir, 'missing.txt')
    const e = explain(await caught(readFile(missing)))
    expect(e).to.include({ code: 2 })
    expect(e.hint).to.contain(missing)
    expect(e.hint).to.match(/exists/)
    // readFile of a folder fails in read(2), which names no path.
    const d = explain(await caught(readFile(dir)))
    expect(d.code).to.equal(2)
    expect(d.hint).to.match(/is a folder: give a file/)
  })

  it('a port in use is a network error with the address in the hint', async () => {
    const server: Server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    try {
      const second = createServer()
      const err = await new Promise(resolve => { second.once('error', resolve); second.listen(port, '127.0.0.1') })
      const e = explain(err)
      expect(e.code).to.equal(2)
      expect(e.hint).to.contain(`127.0.0.1:${port} is already in use`)
    } finally {
      await new Promise(resolve => server.close(resolve))
    }
  })

  it('a torrent that cannot be read is bad input (2) with a hint about that path, not about `seedpay create`', async () => {
    const missing = join(dir, 'missing.torrent')
    const err = await caught(loadTorrent(missing))
    expect(err).to.be.instanceOf(InvalidTorrentError)
    const e = explain(err)
    expect(e.code).to.equal(2)
    expect(e.hint).to.contain(missing)
  })

  it('a chain node that cannot be reached is a failed operation (1) naming the node, under a wrapper too', async () => {
    const wrapped = Object.assign(new Error('Network Error', { cause: await refusedConnection() }), { code: 'ERR_NETWORK' })
    const e = explainChainError(wrapped)
    expect(e).to.be.instanceOf(CliError)
    expect((e as CliError).exitCode).to.equal(1)
    expect((e as CliError).message).to.match(/^the chain node at 127\.0\.0\.1:1 did not answer: connect ECONNREFUSED/)
    expect((e as CliError).hint).to.match(/--rpc\/--tron/)
  })

  it('passes CliErrors through and never hints at files for an unknown error', () => {
    expect(explain(new CliError('m', 'h', 3))).to.deep.equal({ message: 'm', hint: 'h', code: 3 })
    const e = explain(new Error('something odd'))
    expect(e).to.include({ message: 'something odd', code: 1 })
    expect(e.hint).to.not.match(/path|permission/)
  })
})
