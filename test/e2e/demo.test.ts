/** `npm run demo` end to end: spawns the demo as a user would and checks it exits 0 with the audit matched. */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('npm run demo', function () {
  this.timeout(120_000)
  let child: ChildProcess | undefined
  after(() => { if (child?.exitCode === null) child.kill('SIGINT') })

  it('runs the whole flow on embedded defaults, exits 0, and the audit matches', async () => {
    const started = Date.now()
    child = spawn('npx', ['tsx', 'scripts/demo.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
    const code = await new Promise<number | null>(resolve => child!.once('exit', c => resolve(c)))
    expect(code, `${stdout}\n${stderr}`).to.equal(0)
    expect(Date.now() - started).to.be.below(60_000)
    expect(stdout).to.contain('settleBatch')
    expect(stdout).to.contain('watchtower: C owes')
    expect(stdout).to.match(/A ✓ {2}B ✓ {2}C ✓/)
    expect(stdout).to.contain('audit: matched ✓')
    expect(stdout).to.contain('✔ Demo complete')
    expect(stderr).to.not.contain('    at ') // no stack traces
  })
})
