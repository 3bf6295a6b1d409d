/**
 * Crash safety: a child agent exchanging receipts is SIGKILLed at 50 random moments (fixed seed),
 * alternately as payer and as payee. After each kill its ledger is consistent, it holds every receipt it
 * sent (payer: written before sending) or acknowledged (payee: stored before serving beyond its credit), and
 * no cumulative value ever goes backwards.
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ledger } from '../../agent/ledger/index.ts'
import { toAddress, type SignedReceipt } from '../../agent/pay/index.ts'
import { Wallet } from 'ethers'
import { makeAgent } from './payment-agents.ts'
import { startSeeder, leech } from './payment-peers.ts'
import { CRASH_DOMAIN, CRASH_KEYS, CRASH_CREDIT, crashContent } from './payment-crash-child.ts'

const SEED = 0xc0ffee
const KILLS = 50
/**
 * A payee is killed this much later than a payer: what it acknowledged is only known once more than its credit
 * has arrived (see `acked`), which on a loaded machine takes a few hundred ms of pieces, each paid before the next.
 */
const ACK_LEAD_MS = 300

function mulberry32 (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function spawnChild (args: string[]): { child: ChildProcess, ready: Promise<string>, exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'payment-crash-child.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /ready ?(\d*)\n/.exec(out)
      if (m !== null) resolve(m[1] ?? '')
    })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.once('exit', code => reject(new Error(`child exited (${code}) before ready: ${err}`)))
  })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  return { child, ready, exited }
}

const addr = (key: string) => toAddress(new Wallet(key).address)
const ge = (a: { bytes: bigint, amount: bigint } | null, b: { bytes: bigint, amount: bigint } | null): boolean =>
  b === null || (a !== null && a.bytes >= b.bytes && a.amount >= b.amount)

describe('payment crash safety (kill -9 at 50 random moments, fixed seed)', function () {
  // 50 child processes, each a tsx start: minutes on a loaded 2-core machine
  this.timeout(300_000)

  it('never loses a sent or acknowledged receipt and never goes backwards', async () => {
    const random = mulberry32(SEED)
    const content = crashContent()
    const childPayerDir = mkdtempSync(join(tmpdir(), 'crash-payer-'))
    const childPayeeDir = mkdtempSync(join(tmpdir(), 'crash-payee-'))
    const parentPayee = makeAgent(CRASH_DOMAIN, CRASH_KEYS.parentPayee, { credit: CRASH_CREDIT })
    const parentPayer = makeAgent(CRASH_DOMAIN, CRASH_KEYS.parentPayer, { credit: CRASH_CREDIT })
    const refused: string[] = []
    parentPayee.agent.on('receipt:refused', ({ code }) => refused.push(code))
    parentPayer.agent.on('peer:refused', ({ code }) => refused.push(code))
    const seeder = await startSeeder(parentPayee.agent, content)
    const escrow = toAddress(CRASH_DOMAIN.escrow)
    const payerKey = { chainId: CRASH_DOMAIN.chainId, escrow, payer: addr(CRASH_KEYS.childPayer), payee: parentPayee.account }
    const payeeKey = { chainId: CRASH_DOMAIN.chainId, escrow, payer: parentPayer.account, payee: addr(CRASH_KEYS.childPayee) }
    let lastChildPayer: SignedReceipt | null = null
    let lastChildPayee: SignedReceipt | null = null
    let exchanged = 0
    let acknowledged = 0
    try {
      for (let i = 0; i < KILLS; i++) {
        const asPayer = i % 2 === 0
        const delay = 20 + Math.floor(random() * 300)
        if (asPayer) {
          const { child, ready, exited } = spawnChild(['payer', childPayerDir, String(seeder.port)])
          await ready
          await new Promise(resolve => setTimeout(resolve, delay))
          child.kill('SIGKILL')
          await exited
          const ledger = new Ledger({}, { path: join(childPayerDir, 'ledger.db') })
          try {
            expect(ledger.check()).to.deep.equal([])
            const mine = ledger.newest(payerKey)
            // every receipt the payee got was in the payer's ledger first
            expect(ge(mine, parentPayee.ledger.newest(payerKey)), `kill ${i}: payer lost a sent receipt`).to.equal(true)
            expect(ge(mine, lastChildPayer), `kill ${i}: payer went backwards`).to.equal(true)
            if (mine !== null && (lastChildPayer === null || mine.bytes > lastChildPayer.bytes)) exchanged++
            lastChildPayer = mine
          } finally { ledger.close() }
        } else {
          const { child, ready, exited } = spawnChild(['payee', childPayeeDir])
          const port = Number(await ready)
          // a payee serves a block only within its credit of the receipt it stored, so once R bytes arrived it
          // holds a receipt for at least R - credit: every receipt signed for no more than that is acknowledged
          const signed: SignedReceipt[] = []
          let acked: SignedReceipt | null = null
          const onSigned = ({ receipt }: { receipt: SignedReceipt }): void => { signed.push(receipt) }
          parentPayer.agent.on('receipt:signed', onSigned)
          // the kill lands once receipts can flow: after the hello exchange (both proofs checked), not before it
          const admitted = new Promise<void>(resolve => { parentPayer.agent.once('peer:ready', () => { resolve() }) })
          const l = leech(parentPayer.agent, port, content, {
            stallMs: 1000,
            onBlock: (_index, received) => {
              // the payee's count of served bytes starts at the receipt it held when it started (cumulative channel)
              const floor = (lastChildPayee?.bytes ?? 0n) + BigInt(received) - CRASH_CREDIT
              for (const r of signed) if (r.bytes <= floor && (acked === null || r.bytes > acked.bytes)) acked = r
            }
          })
          const done = l.done.catch(() => null)
          await Promise.race([admitted, done])
          await new Promise(resolve => setTimeout(resolve, ACK_LEAD_MS + delay))
          child.kill('SIGKILL')
          await exited
          await done
          parentPayer.agent.off('receipt:signed', onSigned)
          const ledger = new Ledger({}, { path: join(childPayeeDir, 'ledger.db') })
          try {
            expect(ledger.check()).to.deep.equal([])
            const held = ledger.newest(payeeKey)
            expect(ge(held, acked), `kill ${i}: payee lost an acknowledged receipt`).to.equal(true)
            if (acked !== null) acknowledged++
            expect(ge(held, lastChildPayee), `kill ${i}: payee went backwards`).to.equal(true)
            expect(ge(parentPayer.ledger.newest(payeeKey), held), `kill ${i}: payee holds more than the payer signed`).to.equal(true)
            if (held !== null && (lastChildPayee === null || held.bytes > lastChildPayee.bytes)) exchanged++
            lastChildPayee = held
          } finally { ledger.close() }
        }
      }
      expect(parentPayee.ledger.check()).to.deep.equal([])
      expect(parentPayer.ledger.check()).to.deep.equal([])
    } finally {
      await seeder.close()
      parentPayee.ledger.close()
      parentPayer.ledger.close()
    }
    expect(refused).to.deep.equal([])
    // the kills landed while receipts were flowing, not only before the first one
    expect(exchanged).to.be.greaterThan(KILLS / 2)
    // and the payee side was checked against receipts it had acknowledged, not only against none
    expect(acknowledged).to.be.at.least(KILLS / 10)
  })
})
