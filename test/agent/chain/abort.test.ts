/**
 * `sleep` is awaited between receipt polls, also by the settlement a seeder sends on SIGINT, when nothing else is
 * left to keep the process alive (the engine's sockets are closed, ethers' idle keep-alive sockets are unref'd).
 * An unref'd timer there let Node exit with code 0 in the middle of that settlement, printing nothing (CI, stop 26).
 * Each case runs in a process of its own, since what is asserted is whether the process stays up.
 */
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { sleep } from '../../../agent/chain/abort.ts'

const ABORT = fileURLToPath(new URL('../../../agent/chain/abort.ts', import.meta.url))

/** Runs `body` (an async function's body, with `sleep` in scope) in a fresh node; its stdout, exit code and time. */
function run (body: string): { status: number | null, stdout: string, stderr: string, ms: number } {
  // not top-level await: the CLI's work runs in a function, and Node exits 0 (not 13) when such work is dropped
  const script = `import(${JSON.stringify(ABORT)}).then(async ({ sleep }) => { ${body} })`
  const started = Date.now()
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 })
  return { status: res.status, stdout: res.stdout.trim(), stderr: res.stderr, ms: Date.now() - started }
}

describe('chain/abort sleep', () => {
  it('keeps the process alive while it is awaited, when nothing else does', () => {
    const res = run(`await sleep(300, new AbortController().signal); console.log('woke')`)
    expect(res.status, res.stderr).to.equal(0)
    expect(res.stdout).to.equal('woke')
  })

  it('rejects with the signal\'s reason once aborted, and leaves no timer keeping the process up', () => {
    const res = run(`const c = new AbortController(); setTimeout(() => c.abort(new Error('stop')), 20)
      try { await sleep(60_000, c.signal) } catch (err) { console.log(err.message) }`)
    expect(res.status, res.stderr).to.equal(0)
    expect(res.stdout).to.equal('stop')
    // the 60 s timer was cleared: the process ends with the work, not a minute later
    expect(res.ms).to.be.below(20_000)
  })

  it('resolves after the time without a signal', async () => {
    const started = Date.now()
    await sleep(30, undefined)
    expect(Date.now() - started).to.be.at.least(25)
  })
})
