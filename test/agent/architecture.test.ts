/**
 * The one-way dependencies of docs/architecture.md, checked on the source: every `../<layer>/` import in
 * agent/<layer>/ must be an edge the document allows. A new edge means the doc and this table change together.
 */
import { expect } from 'chai'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

const ROOT = join(import.meta.dirname, '..', '..')
const AGENT = join(ROOT, 'agent')

/** Which top-level folders each may import (docs/architecture.md, "Layout"): no loop between test and scripts. */
const TOP_ALLOWED: Record<string, readonly string[]> = {
  agent: [],
  devtools: ['agent'],
  scripts: ['agent', 'devtools'],
  test: ['agent', 'devtools', 'scripts']
}

/** Which layers each layer may import (docs/architecture.md, "Dependencies"). */
const ALLOWED: Record<string, readonly string[]> = {
  util: [],
  pay: [],
  wire: ['pay', 'util'],
  ledger: ['pay'],
  chain: ['pay'],
  keys: ['chain', 'pay', 'util'],
  swarm: ['pay', 'util'],
  audit: ['chain', 'ledger', 'pay', 'util'],
  payment: ['chain', 'ledger', 'pay', 'swarm', 'util', 'wire'],
  settle: ['chain', 'ledger', 'pay', 'util'],
  compose: ['chain', 'ledger', 'pay', 'payment', 'settle', 'swarm'],
  daemon: ['ledger', 'pay', 'payment', 'settle', 'swarm', 'util'],
  cli: ['audit', 'chain', 'compose', 'daemon', 'keys', 'ledger', 'pay', 'payment', 'settle', 'swarm', 'util', 'wire']
}

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [])
}

describe('agent layers (docs/architecture.md)', () => {
  it('knows every layer', () => {
    const layers = readdirSync(AGENT, { withFileTypes: true }).filter(e => e.isDirectory()).map(e => e.name).sort()
    expect(layers).to.deep.equal(Object.keys(ALLOWED).sort())
  })

  it('imports only along the allowed edges', () => {
    const wrong: string[] = []
    for (const layer of Object.keys(ALLOWED)) {
      for (const file of sources(join(AGENT, layer))) {
        // a file in a sub-folder (swarm/tracker/) reaches its own layer with ../ too: count only other layers
        for (const m of readFileSync(file, 'utf8').matchAll(/from '(?:\.\.\/)+([a-z]+)\//g)) {
          const to = m[1]!
          if (to !== layer && !ALLOWED[layer]!.includes(to)) wrong.push(`${file.slice(AGENT.length + 1)} → ${to}`)
        }
      }
    }
    expect(wrong).to.deep.equal([])
  })
})

describe('top-level folders (docs/architecture.md)', () => {
  it('import only along the allowed edges', () => {
    const wrong: string[] = []
    for (const [top, allowed] of Object.entries(TOP_ALLOWED)) {
      for (const file of sources(join(ROOT, top))) {
        for (const m of readFileSync(file, 'utf8').matchAll(/from '((?:\.\.\/)+)([a-z]+)\//g)) {
          // resolve the relative path: only imports that leave `top` name another top-level folder
          const target = relative(ROOT, resolve(dirname(file), m[1]!, m[2]!)).split(sep)[0]!
          if (target !== top && target in TOP_ALLOWED && !allowed.includes(target)) wrong.push(`${relative(ROOT, file)} → ${target}`)
        }
      }
    }
    expect(wrong).to.deep.equal([])
  })
})
