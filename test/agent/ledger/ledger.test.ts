import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Ledger, type ChannelKey } from '../../../agent/ledger/ledger.ts'
import { MIGRATIONS } from '../../../agent/ledger/migrations.ts'
import { LedgerSchemaTooNewError, NonMonotonicReceiptError, ChannelRoleMismatchError, LedgerOwnerMismatchError } from '../../../agent/ledger/errors.ts'

const key: ChannelKey = {
  chainId: 3448148188n,
  escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  payer: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
  payee: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
}
const sig = (n: number): Uint8Array => new Uint8Array(64).fill(n)

describe('Ledger', () => {
  let dir: string
  let ledger: Ledger
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-'))
    ledger = new Ledger({}, { path: join(dir, 'ledger.db') })
  })
  afterEach(() => {
    try { ledger.close() } catch {}
    rmSync(dir, { recursive: true, force: true })
  })

  it('opens in WAL mode with synchronous = FULL and the latest schema version', () => {
    expect(ledger.db.pragma('journal_mode', { simple: true })).to.equal('wal')
    expect(ledger.db.pragma('synchronous', { simple: true })).to.equal(2)
    expect(ledger.db.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length)
  })

  it('records receipts as the channel\'s newest and keeps the history', () => {
    expect(ledger.newest(key)).to.equal(null)
    ledger.record(key, 'payee', { bytes: 100n, amount: 1n, sig: sig(1) }, 10n)
    ledger.record(key, 'payee', { bytes: 200n, amount: 2n, sig: sig(2) }, 10n)
    expect(ledger.newest(key)).to.deep.equal({ bytes: 200n, amount: 2n, sig: sig(2) })
    expect(ledger.history(key).map(h => h.bytes)).to.deep.equal([100n, 200n])
    expect(ledger.check()).to.deep.equal([])
  })

  it('keeps amounts beyond 64 bits exactly', () => {
    const big = (1n << 128n) - 1n
    ledger.record(key, 'payee', { bytes: (1n << 64n) - 1n, amount: big, sig: sig(3) })
    expect(ledger.newest(key)?.amount).to.equal(big)
  })

  it('refuses a lower or equal cumulative receipt and leaves the books unchanged', () => {
    ledger.record(key, 'payee', { bytes: 200n, amount: 2n, sig: sig(2) })
    expect(() => ledger.record(key, 'payee', { bytes: 100n, amount: 3n, sig: sig(1) })).to.throw(NonMonotonicReceiptError)
    expect(() => ledger.record(key, 'payee', { bytes: 300n, amount: 1n, sig: sig(1) })).to.throw(NonMonotonicReceiptError)
    expect(() => ledger.record(key, 'payee', { bytes: 200n, amount: 2n, sig: sig(9) })).to.throw(NonMonotonicReceiptError)
    expect(ledger.history(key)).to.have.length(1)
    expect(ledger.newest(key)?.sig).to.deep.equal(sig(2))
  })

  it('keeps channels apart by chain, escrow, payer and payee', () => {
    ledger.record(key, 'payee', { bytes: 200n, amount: 2n, sig: sig(2) })
    ledger.record({ ...key, chainId: 1n }, 'payee', { bytes: 1n, amount: 1n, sig: sig(1) })
    ledger.record({ ...key, escrow: '0x' + '11'.repeat(20) as `0x${string}` }, 'payee', { bytes: 1n, amount: 1n, sig: sig(1) })
    expect(ledger.channels()).to.have.length(3)
  })

  it('refuses to open a channel with the other role', () => {
    ledger.open(key, 'payer')
    expect(() => ledger.open(key, 'payee')).to.throw(ChannelRoleMismatchError)
  })

  it('records settlement attempts with transaction ids and status', () => {
    ledger.record(key, 'payee', { bytes: 200n, amount: 2n, sig: sig(2) })
    const id = ledger.beginSettlement(key, { bytes: 200n, amount: 2n })
    ledger.updateSettlement(id, { status: 'sent', txId: '0xabc' })
    ledger.updateSettlement(id, { status: 'confirmed', paid: 2n, gasUsed: 17_812n, fee: 1_781_200n })
    const [attempt] = ledger.settlements(key)
    expect(attempt).to.deep.include({ id, key, bytes: 200n, amount: 2n, txId: '0xabc', status: 'confirmed', paid: 2n, error: null, gasUsed: 17_812n, fee: 1_781_200n })
    // when it was begun and last changed, for the dashboard's list of settlements
    expect(attempt!.updatedAt).to.be.at.least(attempt!.createdAt).and.at.most(Date.now())
  })

  it('a ledger written before settlement costs were recorded opens with them unknown (migration 3)', () => {
    ledger.record(key, 'payee', { bytes: 200n, amount: 2n, sig: sig(2) })
    const id = ledger.beginSettlement(key, { bytes: 200n, amount: 2n })
    ledger.updateSettlement(id, { status: 'confirmed', txId: '0xabc', paid: 2n })
    ledger.close()
    // take the file back to schema 2: the columns gone, as an older agent left it
    const old = new Database(join(dir, 'ledger.db'))
    old.exec('ALTER TABLE settlements DROP COLUMN gas_used; ALTER TABLE settlements DROP COLUMN fee; PRAGMA user_version = 2')
    old.close()
    ledger = new Ledger({}, { path: join(dir, 'ledger.db') })
    expect(ledger.settlements(key)).to.have.length(1)
    expect(ledger.settlements(key)[0]).to.deep.include({ id, key, bytes: 200n, amount: 2n, txId: '0xabc', status: 'confirmed', paid: 2n, error: null, gasUsed: null, fee: null })
    expect(ledger.db.pragma('user_version', { simple: true })).to.equal(3)
  })

  it('survives a reopen with everything in place', () => {
    ledger.record(key, 'payer', { bytes: 200n, amount: 2n, sig: sig(2) })
    ledger.close()
    ledger = new Ledger({}, { path: join(dir, 'ledger.db') })
    expect(ledger.newest(key)).to.deep.equal({ bytes: 200n, amount: 2n, sig: sig(2) })
    expect(ledger.open(key, 'payer').role).to.equal('payer')
  })

  it('refuses a database whose schema is newer than the code', () => {
    ledger.close()
    const db = new Database(join(dir, 'ledger.db'))
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`)
    db.close()
    expect(() => new Ledger({}, { path: join(dir, 'ledger.db') })).to.throw(LedgerSchemaTooNewError)
  })

  describe('ownership: one ledger per local account', () => {
    const path = (): string => join(dir, 'ledger.db')

    it('is claimed by the first account that opens it and refuses every other', () => {
      ledger.close()
      ledger = new Ledger({}, { path: path(), owner: key.payer })
      expect(ledger.owner()).to.equal(key.payer)
      ledger.record(key, 'payer', { bytes: 200n, amount: 2n, sig: sig(2) })
      ledger.close()
      expect(() => new Ledger({}, { path: path(), owner: key.payee })).to.throw(LedgerOwnerMismatchError, `belongs to account ${key.payer}, not ${key.payee}`)
      ledger = new Ledger({}, { path: path(), owner: key.payer })
      expect(ledger.newest(key)?.bytes).to.equal(200n)
    })

    it('lets its account be payer on some channels and payee on others', () => {
      ledger.close()
      ledger = new Ledger({}, { path: path(), owner: key.payee })
      ledger.record(key, 'payee', { bytes: 1n, amount: 1n, sig: sig(1) })
      const other = '0x' + '22'.repeat(20) as `0x${string}`
      ledger.record({ ...key, payer: key.payee, payee: other }, 'payer', { bytes: 1n, amount: 1n, sig: sig(1) })
      expect(ledger.channels().map(c => c.role)).to.deep.equal(['payee', 'payer'])
    })

    it('never opens a channel with another account on its side', () => {
      ledger.close()
      ledger = new Ledger({}, { path: path(), owner: key.payee })
      // the payer's side of this pair is not ours: the row must not even be created
      expect(() => ledger.open(key, 'payer')).to.throw(LedgerOwnerMismatchError)
      expect(ledger.channels()).to.have.length(0)
    })

    it('claims a ledger from before ownership only if each channel is that account\'s', () => {
      // the shared-file accident: one account paid, another earned, on the same pair
      ledger.record(key, 'payer', { bytes: 1n, amount: 1n, sig: sig(1) })
      ledger.close()
      expect(() => new Ledger({}, { path: path(), owner: key.payee })).to.throw(LedgerOwnerMismatchError, `belongs to account ${key.payer}`)
      ledger = new Ledger({}, { path: path() })
      expect(ledger.owner()).to.equal(null) // a refused claim writes nothing
      ledger.close()
      ledger = new Ledger({}, { path: path(), owner: key.payer })
      expect(ledger.owner()).to.equal(key.payer)
    })
  })
})
