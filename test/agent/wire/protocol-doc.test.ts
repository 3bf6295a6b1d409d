import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { protocolExample } from './protocol-example.ts'

describe('docs/protocol.md', () => {
  it('shows the example exchange exactly as the code encodes it', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'protocol.md'), 'utf8').replace(/\s+/g, '')
    for (const f of protocolExample()) expect(doc, `${f.from}: ${f.message.t}`).to.contain(f.hex)
  })
})
