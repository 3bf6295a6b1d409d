/** `npm run demo` end to end: spawns the demo as a user would and checks it exits 0 with the audit matched. */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('npm run demo', function () {
  this.timeout(120_000)
  let child: ChildProcess | undefined
  after(() => { if (child?.exitCode === null) child.kill('SIGINT') })

  it('runs the whole flow on embedded defaults (lanes, an under-funded payer refused), exits 0, and the audit matches', async () => {
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
    expect(stdout).to.match(/A ✓ {2}B ✓ {2}C ✓ {2}D ✓/)
    // lanes: A and B reserve what the seeder asks for; the audit rebuilds them
    expect(stdout).to.match(/A reserved a 0\.5 BTT lane for the seeder/)
    expect(stdout).to.match(/B reserved a 0\.5 BTT lane for the seeder/)
    expect(stdout).to.contain('lane (chain)')
    // the under-funded payer is served what its deposit backs, the seeder cashes all of it, and refuses the rest
    expect(stdout).to.contain('was paid 0.05 BTT of D\'s 0.05 BTT')
    expect(stdout).to.contain('D refused: its receipts are not backed for more')
    expect(stdout).to.match(/escrow holds [0-9.,]+ BTT = Σ free balances [0-9.,]+ BTT \+ Σ lanes [0-9.,]+ BTT/)
    expect(stdout).to.contain('audit: matched ✓')
    expect(stdout).to.contain('✔ Demo complete')
    expect(stderr).to.not.contain('    at ') // no stack traces
  })
})
