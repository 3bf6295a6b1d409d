import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Ledger, NonMonotonicReceiptError, type ChannelKey } from '../../../agent/ledger/index.ts'
import { ReceiptWriter } from '../../../agent/payment/receipt-writer.ts'

const key = (payee: string): ChannelKey => ({ chainId: 1n, escrow: `0x${'e'.repeat(40)}`, payer: `0x${'a'.repeat(40)}`, payee: `0x${payee.repeat(40)}` })
const receipt = (bytes: bigint) => ({ bytes, amount: bytes, sig: new Uint8Array(64).fill(Number(bytes % 256n)) })

describe('ReceiptWriter (group commit)', () => {
  let dir: string
  let ledger: Ledger
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'writer-'))
    ledger = new Ledger({}, { path: join(dir, 'ledger.db') })
  })
  afterEach(() => {
    ledger.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes what one turn queued in one transaction, and calls back in order only once it is stored', async () => {
    const writer = new ReceiptWriter({ logger: pino({ level: 'silent' }), ledger })
    const stored: string[] = []
    for (const [p, b] of [['b', 1n], ['c', 5n], ['b', 2n], ['c', 6n]] as const) {
      writer.write({ key: key(p), role: 'payer', receipt: receipt(b) }, err => {
        expect(err).to.equal(null)
        // durable before the callback: a second connection sees it
        const reader = new Ledger({}, { path: join(dir, 'ledger.db') })
        expect(reader.newest(key(p))!.bytes >= b).to.equal(true)
        reader.close()
        stored.push(`${p}${b}`)
      })
    }
    expect(stored).to.deep.equal([])
    await Promise.resolve()
    expect(stored).to.deep.equal(['b1', 'c5', 'b2', 'c6'])
    expect(writer.stats).to.deep.equal({ commits: 1, receipts: 4 })
    expect(ledger.history(key('b')).map(h => h.bytes)).to.deep.equal([1n, 2n])
  })

  it('refuses a receipt that does not advance its channel alone; the rest of the batch is stored', () => {
    const writer = new ReceiptWriter({ logger: pino({ level: 'silent' }), ledger, schedule: () => {} })
    const results: Array<string | null> = []
    const cb = (err: Error | null): void => { results.push(err === null ? null : err.constructor.name) }
    writer.write({ key: key('b'), role: 'payee', receipt: receipt(10n) }, cb)
    writer.write({ key: key('b'), role: 'payee', receipt: receipt(10n) }, cb)
    writer.write({ key: key('c'), role: 'payee', receipt: receipt(3n) }, cb)
    writer.flush()
    expect(results).to.deep.equal([null, NonMonotonicReceiptError.name, null])
    expect(ledger.newest(key('b'))!.bytes).to.equal(10n)
    expect(ledger.newest(key('c'))!.bytes).to.equal(3n)
    expect(ledger.check()).to.deep.equal([])
  })

  it('fails every receipt of a transaction that did not commit, and keeps calling back after a callback throws', () => {
    const writer = new ReceiptWriter({ logger: pino({ level: 'silent' }), ledger, schedule: () => {} })
    const results: Array<Error | null> = []
    writer.write({ key: key('b'), role: 'payer', receipt: receipt(1n) }, () => { throw new Error('a session\'s bug') })
    writer.write({ key: key('b'), role: 'payer', receipt: receipt(2n) }, err => { results.push(err) })
    writer.flush()
    expect(results).to.deep.equal([null])
    ledger.close()
    writer.write({ key: key('b'), role: 'payer', receipt: receipt(3n) }, err => { results.push(err) })
    writer.flush()
    expect(results[1]).to.be.instanceOf(Error)
    ledger = new Ledger({}, { path: join(dir, 'ledger.db') })
    expect(ledger.newest(key('b'))!.bytes).to.equal(2n)
  })
})
