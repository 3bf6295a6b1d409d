/**
 * The group commit over the ledger's writer thread: a real worker thread with its own SQLite connection to a real
 * file, read back through a second connection.
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Ledger, NonMonotonicReceiptError, type ChannelKey } from '../../../agent/ledger/index.ts'
import { ReceiptWriter } from '../../../agent/payment/receipt-writer.ts'

const key = (payee: string): ChannelKey => ({ chainId: 1n, escrow: `0x${'e'.repeat(40)}`, payer: `0x${'a'.repeat(40)}`, payee: `0x${payee.repeat(40)}` })
const receipt = (bytes: bigint) => ({ bytes, amount: bytes, sig: new Uint8Array(64).fill(Number(bytes % 256n)) })
const silent = pino({ level: 'silent' })

describe('ReceiptWriter (group commit on the ledger\'s writer thread)', () => {
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

  /** A writer over the ledger's thread, once the thread has opened the file. */
  async function threadWriter (): Promise<ReceiptWriter> {
    const thread = ledger.writerThread()
    await thread.ready
    return new ReceiptWriter({ logger: silent, store: thread })
  }

  it('writes what one turn queued in one transaction, and calls back in order only once it is stored', async () => {
    const writer = await threadWriter()
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
    await Promise.resolve()
    expect(stored).to.deep.equal([])
    await writer.drain()
    expect(stored).to.deep.equal(['b1', 'c5', 'b2', 'c6'])
    expect(writer.stats).to.deep.equal({ commits: 1, receipts: 4 })
    expect(ledger.writerThread().stats).to.deep.equal({ thread: 1, local: 0 })
    expect(ledger.history(key('b')).map(h => h.bytes)).to.deep.equal([1n, 2n])
  })

  it('stores on the main connection until the thread is up, then on the thread, in order', async () => {
    const thread = ledger.writerThread()
    const writer = new ReceiptWriter({ logger: silent, store: thread })
    const stored: bigint[] = []
    writer.write({ key: key('b'), role: 'payee', receipt: receipt(1n) }, err => { expect(err).to.equal(null); stored.push(1n) })
    await writer.drain()
    expect(thread.stats).to.deep.equal({ thread: 0, local: 1 })
    await thread.ready
    writer.write({ key: key('b'), role: 'payee', receipt: receipt(2n) }, err => { expect(err).to.equal(null); stored.push(2n) })
    await writer.drain()
    expect(thread.stats).to.deep.equal({ thread: 1, local: 1 })
    expect(stored).to.deep.equal([1n, 2n])
    expect(ledger.history(key('b')).map(h => h.bytes)).to.deep.equal([1n, 2n])
  })

  it('keeps the event loop turning while a transaction is written, and what arrives meanwhile is the next batch', async () => {
    const writer = await threadWriter()
    let turns = 0
    let stored = 0
    let turnsAtFirst = -1
    // the first batch: many receipts, so its transaction takes a while on the other thread
    for (let i = 1n; i <= 2000n; i++) writer.write({ key: key('b'), role: 'payer', receipt: receipt(i) }, () => { if (++stored === 1) turnsAtFirst = turns })
    const spin = (): void => { turns++; if (stored < 2003) setImmediate(spin) }
    setImmediate(spin)
    await new Promise(resolve => setImmediate(resolve))
    // queued while the first is in flight
    for (const p of ['c', 'd', 'f']) writer.write({ key: key(p), role: 'payer', receipt: receipt(1n) }, () => { stored++ })
    await writer.drain()
    expect(stored).to.equal(2003)
    // synchronous SQLite on the loop would have stored everything before the loop turned once
    expect(turnsAtFirst).to.be.greaterThan(1)
    expect(writer.stats).to.deep.equal({ commits: 2, receipts: 2003 })
    expect(ledger.newest(key('d'))!.bytes).to.equal(1n)
    expect(ledger.check()).to.deep.equal([])
  })

  it('refuses a receipt that does not advance its channel alone, with its class across the thread; the rest is stored', async () => {
    const writer = await threadWriter()
    const results: Array<Error | null> = []
    const cb = (err: Error | null): void => { results.push(err) }
    writer.write({ key: key('b'), role: 'payee', receipt: receipt(10n) }, cb)
    writer.write({ key: key('b'), role: 'payee', receipt: receipt(10n) }, cb)
    writer.write({ key: key('c'), role: 'payee', receipt: receipt(3n) }, cb)
    await writer.drain()
    expect(results[0]).to.equal(null)
    expect(results[1]).to.be.instanceOf(NonMonotonicReceiptError)
    expect((results[1] as NonMonotonicReceiptError).held).to.deep.equal({ bytes: 10n, amount: 10n })
    expect(results[2]).to.equal(null)
    expect(ledger.newest(key('b'))!.bytes).to.equal(10n)
    expect(ledger.newest(key('c'))!.bytes).to.equal(3n)
    expect(ledger.check()).to.deep.equal([])
  })

  it('fails every receipt it could not write, and keeps calling back after a callback throws', async () => {
    const path = join(dir, 'ledger.db')
    const writer = new ReceiptWriter({ logger: silent, store: ledger.writerThread() })
    const results: Array<Error | null> = []
    writer.write({ key: key('b'), role: 'payer', receipt: receipt(1n) }, () => { throw new Error('a session\'s bug') })
    writer.write({ key: key('b'), role: 'payer', receipt: receipt(2n) }, err => { results.push(err) })
    await writer.drain()
    expect(results).to.deep.equal([null])
    ledger.close()
    writer.write({ key: key('b'), role: 'payer', receipt: receipt(3n) }, err => { results.push(err) })
    await writer.drain()
    expect(results[1]).to.be.instanceOf(Error)
    expect(results[1]!.message).to.match(/writer thread is closed/)
    ledger = new Ledger({}, { path })
    expect(ledger.newest(key('b'))!.bytes).to.equal(2n)
  })

  it('finishes the writes it was given when the ledger closes before they are done', async () => {
    const path = join(dir, 'ledger.db')
    const writer = await threadWriter()
    const results: Array<Error | null> = []
    for (let i = 1n; i <= 500n; i++) writer.write({ key: key('b'), role: 'payer', receipt: receipt(i) }, err => { results.push(err) })
    writer.flush()
    ledger.close()
    await writer.drain()
    expect(results.length).to.equal(500)
    expect(results.every(r => r === null)).to.equal(true)
    ledger = new Ledger({}, { path })
    expect(ledger.newest(key('b'))!.bytes).to.equal(500n)
  })
})
