import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { protocolExample } from './protocol-example.ts'
import { ERROR_CODES, MESSAGE_FIELDS, PROTOCOL_VERSION } from '../../../agent/wire/messages.ts'
import { HELLO_TYPE_STRING, HELLO_TYPEHASH } from '../../../agent/pay/hello-proof.ts'
import { encodeOffers, MAX_OFFERS, OFFER_BYTES, OFFERS_KEY } from '../../../agent/wire/offers.ts'
import { NILE_CHAIN_ID } from '../../../agent/pay/receipt.ts'

const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'protocol.md'), 'utf8')

/** The lines of the section whose heading starts with `## <n>.` */
function section (n: number): string[] {
  const lines = doc.split('\n')
  const start = lines.findIndex(l => l.startsWith(`## ${n}. `))
  expect(start, `section ${n}`).to.be.at.least(0)
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '))
  return lines.slice(start + 1, end === -1 ? undefined : end)
}

/** Table rows as trimmed cells, without the header and separator rows. */
function rows (lines: string[]): string[][] {
  return lines.filter(l => l.startsWith('|')).map(l => l.split('|').slice(1, -1).map(c => c.trim()))
    .filter(cells => !/^-+$/.test(cells[0]!.replace(/\s/g, '')) && !['`t`', 'code'].includes(cells[0]!))
}

const unquote = (cell: string): string => cell.replace(/^`|`$/g, '')

describe('docs/protocol.md', () => {
  it('shows the example exchange exactly as the code encodes it', () => {
    const flat = doc.replace(/\s+/g, '')
    for (const f of protocolExample()) expect(flat, `${f.from}: ${f.message.t}`).to.contain(f.hex)
  })

  it('lists exactly the fields each message has, and marks exactly the optional ones optional (§3)', () => {
    const listed: Record<string, { required: string[], optional: string[] }> = {}
    let type = ''
    for (const [t, field, , range] of rows(section(3))) {
      if (t !== '') type = unquote(t!)
      listed[type] ??= { required: [], optional: [] }
      listed[type]![range!.includes('optional') ? 'optional' : 'required'].push(unquote(field!))
    }
    // `t` is in every message and documented in §2, not as a row
    const expected = Object.fromEntries(Object.entries(MESSAGE_FIELDS).map(([t, f]) =>
      [t, { required: f.required.filter(k => k !== 't').sort(), optional: [...f.optional].sort() }]))
    for (const f of Object.values(listed)) { f.required.sort(); f.optional.sort() }
    expect(listed).to.deep.equal(expected)
  })

  it('documents the protocol version the code speaks', () => {
    expect(doc.split('\n')[0]).to.contain(`(protocol v${PROTOCOL_VERSION})`)
    const v = rows(section(3)).find(r => r[1] === '`v`')
    expect(v?.[3]).to.equal(`\`${PROTOCOL_VERSION}\``)
  })

  it('lists every error code with its number and nothing else (§8)', () => {
    const listed: Record<string, number> = {}
    for (const [codes, names] of rows(section(8))) {
      const numbers = codes!.split('/').map(c => Number(c.trim()))
      const keys = names!.split('/').map(n => n.trim())
      expect(numbers, codes).to.have.length(keys.length)
      keys.forEach((k, i) => { listed[k] = numbers[i]! })
    }
    expect(listed).to.deep.equal(ERROR_CODES)
  })

  it('gives the hello proof\'s type string and type hash as the code has them (§5)', () => {
    const text = section(5).join('\n')
    expect(text).to.contain(HELLO_TYPE_STRING)
    expect(text).to.contain(HELLO_TYPEHASH)
  })

  it('documents the seedpay_nets offers as the code encodes them: key, entry size, count, the example entry (§1, §9)', () => {
    const text = section(1).join('\n')
    expect(text).to.contain(`### Networks: \`${OFFERS_KEY}\``)
    expect(text).to.contain(`1 to ${MAX_OFFERS} entries`)
    expect(OFFER_BYTES).to.equal(28)
    expect(text).to.contain(`not a multiple of ${OFFER_BYTES} bytes, has more than ${MAX_OFFERS} entries`)
    const hex = Buffer.from(encodeOffers([{ chainId: NILE_CHAIN_ID, escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }])).toString('hex')
    expect(text).to.contain(`\`${hex.slice(0, 16)} ${hex.slice(16)}\``)
    const limit = rows(section(9)).find(r => r[0] === `\`${OFFERS_KEY}\``)
    expect(limit?.[1]).to.equal(`1–${MAX_OFFERS} entries of ${OFFER_BYTES} bytes (${MAX_OFFERS * OFFER_BYTES} bytes at most)`)
  })
})
