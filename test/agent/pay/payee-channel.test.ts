import { expect } from 'chai'
import { PayeeChannel, MAX_SHORT_STEPS_IN_A_ROW } from '../../../agent/pay/payee-channel.ts'
import { PayerChannel } from '../../../agent/pay/payer-channel.ts'
import { CreditPolicy } from '../../../agent/pay/credit.ts'
import { MIB, amountFor } from '../../../agent/pay/price.ts'
import { StaleReceiptError, UnderpaidReceiptError, UnauthorisedSignerError, DustReceiptError } from '../../../agent/pay/errors.ts'
import { payer, payee, payerSigner, otherSigner, verifierFor } from './fixtures.ts'

const PRICE = 1_000_000_000_000n // 1e12 base units per MiB
const BLOCK = 16 * 1024

function setup (credit = 4n * MIB) {
  const verifier = verifierFor()
  const payeeCh = new PayeeChannel({ verifier, policy: new CreditPolicy({ credit }) }, { payer, payee, pricePerMiB: PRICE })
  const payerCh = new PayerChannel({ signer: payerSigner, verifier }, { payer, payee, pricePerMiB: PRICE })
  return { payeeCh, payerCh }
}

describe('PayeeChannel', () => {
  it('accepts the payer\'s receipts and counts them as paid', () => {
    const { payeeCh, payerCh } = setup()
    payeeCh.onServed(BLOCK * 4)
    payerCh.onVerified(BLOCK * 4)
    const r = payerCh.next()
    expect(r).to.not.equal(null)
    payeeCh.check(r!)
    payeeCh.commit(r!)
    expect(payeeCh.unpaid).to.equal(0n)
    expect(r!.amount).to.equal(amountFor(BigInt(BLOCK * 4), PRICE))
  })

  it('serves at most the credit to a peer that never pays, waits for a receipt, then chokes it', () => {
    const { payeeCh } = setup(4n * MIB)
    let served = 0
    let waitingAt = -1
    for (let i = 0; i < 1000 && payeeCh.mayServe(BLOCK); i++) {
      if (payeeCh.onServed(BLOCK) === 'waiting') waitingAt = i
      served += BLOCK
    }
    expect(BigInt(served)).to.equal(4n * MIB)
    expect(waitingAt).to.equal(255)
    // its requests wait (settling) for the receipt it may have on its way; none comes: choked
    expect(payeeCh.settling).to.equal(true)
    expect(payeeCh.choked).to.equal(false)
    expect(payeeCh.endWait()).to.equal('choked')
    expect(payeeCh.choked).to.equal(true)
    expect(payeeCh.settling).to.equal(false)
    expect(payeeCh.endWait()).to.equal(null)
  })

  it('a payer at its credit whose receipt arrives while it waits is never choked, and nothing past the credit is served meanwhile', () => {
    const { payeeCh, payerCh } = setup(4n * MIB)
    let decision: string | null = null
    while (payeeCh.mayServe(BLOCK)) { decision = payeeCh.onServed(BLOCK); payerCh.onVerified(BLOCK) }
    expect(decision).to.equal('waiting')
    expect(payeeCh.unpaid).to.equal(4n * MIB)
    expect(payeeCh.mayServe(BLOCK)).to.equal(false)
    const r = payerCh.next()!
    payeeCh.check(r)
    payeeCh.storingReceipt()
    // the wait is over (endWait does nothing now): the decision is the stored receipt's
    expect(payeeCh.endWait()).to.equal(null)
    expect(payeeCh.settling).to.equal(true)
    expect(payeeCh.commit(r)).to.equal(null)
    expect(payeeCh.choked).to.equal(false)
    expect(payeeCh.settling).to.equal(false)
    expect(payeeCh.unpaid).to.equal(0n)
    expect(payeeCh.mayServe(BLOCK)).to.equal(true)
  })

  it('a stored receipt that leaves the payer at its credit waits for the next one', () => {
    const { payeeCh, payerCh } = setup(4n * MIB)
    payeeCh.onServed(BLOCK); payerCh.onVerified(BLOCK / 2)
    const tiny = payerCh.next()!
    payeeCh.check(tiny)
    payeeCh.storingReceipt()
    while (payeeCh.mayServe(BLOCK)) expect(payeeCh.onServed(BLOCK)).to.equal(null)
    expect(payeeCh.commit(tiny)).to.equal('waiting')
    expect(payeeCh.choked).to.equal(false)
    expect(payeeCh.endWait()).to.equal('choked')
  })

  it('unchokes only once a receipt brings unpaid bytes down to half the credit (no flapping)', () => {
    const { payeeCh, payerCh } = setup(4n * MIB)
    while (payeeCh.mayServe(BLOCK)) { payeeCh.onServed(BLOCK); payerCh.onVerified(BLOCK) }
    expect(payeeCh.endWait()).to.equal('choked')
    // pay for one block less than half the credit: still choked
    const partial = new PayerChannel({ signer: payerSigner, verifier: verifierFor() }, { payer, payee, pricePerMiB: PRICE })
    partial.onVerified(Number(2n * MIB) - BLOCK)
    const r1 = partial.next()!
    payeeCh.check(r1)
    expect(payeeCh.commit(r1)).to.equal(null)
    expect(payeeCh.choked).to.equal(true)
    const r2 = payerCh.next()!
    payeeCh.check(r2)
    expect(payeeCh.commit(r2)).to.equal('unchoked')
    expect(payeeCh.mayServe(BLOCK)).to.equal(true)
  })

  it('while a receipt is being stored: serves nothing past the credit, chokes only once it counts and is not enough', () => {
    const { payeeCh, payerCh } = setup(4n * MIB)
    // a receipt for the first half arrives and is being stored when the credit runs out
    payeeCh.onServed(Number(2n * MIB)); payerCh.onVerified(Number(2n * MIB))
    const half = payerCh.next()!
    payeeCh.check(half)
    payeeCh.storingReceipt()
    expect(payeeCh.settling).to.equal(true)
    let served = 0
    while (payeeCh.mayServe(BLOCK)) { expect(payeeCh.onServed(BLOCK)).to.equal(null); served += BLOCK }
    // the loss bound is the credit, counted on committed receipts only: nothing is served on the one in flight
    expect(BigInt(served)).to.equal(2n * MIB)
    expect(payeeCh.unpaid).to.equal(4n * MIB)
    expect(payeeCh.choked).to.equal(false)
    // it counts: 2 MiB unpaid, half the credit, so the payer goes on unchoked
    expect(payeeCh.commit(half)).to.equal(null)
    expect(payeeCh.settling).to.equal(false)
    expect(payeeCh.choked).to.equal(false)
    expect(payeeCh.mayServe(BLOCK)).to.equal(true)
    // the next one is being stored while unpaid reaches the credit again, and its write fails: choked then
    payeeCh.storingReceipt()
    while (payeeCh.mayServe(BLOCK)) expect(payeeCh.onServed(BLOCK)).to.equal(null)
    expect(payeeCh.choked).to.equal(false)
    expect(payeeCh.storeFailed()).to.equal('choked')
    expect(payeeCh.choked).to.equal(true)
  })

  it('refuses a lower or repeated cumulative receipt with StaleReceiptError', () => {
    const { payeeCh, payerCh } = setup()
    payerCh.onVerified(BLOCK)
    const low = payerCh.next()!
    payerCh.commit(low)
    payerCh.onVerified(BLOCK)
    const high = payerCh.next()!
    payeeCh.check(high); payeeCh.commit(high)
    expect(() => payeeCh.check(low)).to.throw(StaleReceiptError)
    expect(() => payeeCh.check(high)).to.throw(StaleReceiptError)
  })

  it('accepts a few short steps in a row (torrents\' short last pieces) but refuses a flood of them (dust)', () => {
    const { payeeCh, payerCh } = setup()
    payeeCh.onServed(BLOCK * 8)
    for (let i = 0; i < MAX_SHORT_STEPS_IN_A_ROW; i++) {
      payerCh.onVerified(100)
      const short = payerCh.next()!
      payeeCh.check(short); payeeCh.commit(short); payerCh.commit(short)
    }
    payerCh.onVerified(100)
    expect(() => payeeCh.check(payerCh.next()!)).to.throw(DustReceiptError)
  })

  it('resets the short-step count after a full step, and never calls a receipt for everything served dust', () => {
    const { payeeCh, payerCh } = setup()
    payeeCh.onServed(BLOCK * 8)
    const step = (bytes: number): void => {
      payerCh.onVerified(bytes)
      const r = payerCh.next()!
      payeeCh.check(r); payeeCh.commit(r); payerCh.commit(r)
    }
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < MAX_SHORT_STEPS_IN_A_ROW; i++) step(100)
      step(BLOCK)
    }
    const exact = new PayerChannel({ signer: payerSigner, verifier: verifierFor() }, { payer, payee, pricePerMiB: PRICE })
    const fresh = setup().payeeCh
    fresh.onServed(100)
    exact.onVerified(100)
    const r = exact.next()!
    fresh.check(r)
  })

  it('refuses an underpriced receipt with UnderpaidReceiptError', () => {
    const { payeeCh } = setup()
    const cheap = new PayerChannel({ signer: payerSigner, verifier: verifierFor() }, { payer, payee, pricePerMiB: PRICE - 1n })
    cheap.onVerified(Number(MIB))
    expect(() => payeeCh.check(cheap.next()!)).to.throw(UnderpaidReceiptError)
  })

  it('refuses a receipt signed by a stranger with UnauthorisedSignerError', () => {
    const { payeeCh } = setup()
    const forger = new PayerChannel({ signer: otherSigner, verifier: verifierFor() }, { payer, payee, pricePerMiB: PRICE })
    forger.onVerified(BLOCK)
    expect(() => payeeCh.check(forger.next()!)).to.throw(UnauthorisedSignerError)
  })

  it('prices a session from the receipt held at its start, so a new price is not retroactive', () => {
    const verifier = verifierFor()
    const old = new PayerChannel({ signer: payerSigner, verifier }, { payer, payee, pricePerMiB: 10n })
    old.onVerified(Number(MIB)); const held = old.next()!
    const payeeCh = new PayeeChannel({ verifier, policy: new CreditPolicy() }, { payer, payee, pricePerMiB: 20n, held })
    const payerCh = new PayerChannel({ signer: payerSigner, verifier }, { payer, payee, pricePerMiB: 20n, newest: held })
    payerCh.onVerified(Number(MIB))
    const r = payerCh.next()!
    expect(r.amount).to.equal(30n)
    payeeCh.check(r)
  })
})

describe('PayerChannel', () => {
  it('signs nothing when nothing new is owed', () => {
    const { payerCh } = setup()
    expect(payerCh.next()).to.equal(null)
  })

  it('resynchronises from the payee\'s newer receipt if it is its own signature', () => {
    const verifier = verifierFor()
    const before = new PayerChannel({ signer: payerSigner, verifier }, { payer, payee, pricePerMiB: PRICE })
    before.onVerified(BLOCK * 10)
    const last = before.next()!
    const fresh = new PayerChannel({ signer: payerSigner, verifier }, { payer, payee, pricePerMiB: PRICE })
    expect(fresh.resync(last)).to.equal(true)
    expect(fresh.received).to.equal(last.bytes)
    fresh.onVerified(BLOCK)
    expect(fresh.next()!.bytes).to.equal(last.bytes + BigInt(BLOCK))
    expect(fresh.resync(last)).to.equal(false)
  })

  it('refuses a resync receipt someone else signed', () => {
    const verifier = verifierFor()
    const forger = new PayerChannel({ signer: otherSigner, verifier }, { payer, payee, pricePerMiB: PRICE })
    forger.onVerified(BLOCK)
    const fresh = new PayerChannel({ signer: payerSigner, verifier }, { payer, payee, pricePerMiB: PRICE })
    expect(() => fresh.resync(forger.next()!)).to.throw(/not one of our keys/)
  })
})
