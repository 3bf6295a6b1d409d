import { expect } from 'chai'
import { eventText, genericText, valueText, shortHex, bttField, bytesText } from '../../../agent/cli/event-text.ts'

const PAYER = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
const PAYER2 = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc'
const TX = '0xabc1230000000000000000000000000000000000000000000000000000def456'

/** Every line a person sees: one line, no JS object dumps, no raw base units. */
function readable (line: string): void {
  expect(line).to.not.contain('[object Object]')
  expect(line).to.not.contain('\n')
  expect(line).to.not.match(/\{"/)
  expect(line).to.not.match(/\d{16,}/) // an amount in base units, or an unshortened id
}

describe('cli/event-text: reporter events for people', () => {
  it('settled lists each payer with what it was paid and for how much data', () => {
    const line = eventText('settled', {
      reason: 'shutdown', txId: TX, method: 'settleBatch', total: '1.2',
      payers: [{ payer: PAYER, bytes: String(60 * 1048576), paid: '0.6' }, { payer: PAYER2, bytes: '1048576', paid: '0.6' }]
    })
    expect(line).to.equal('settled (shutdown): settleBatch 0xabc1…f456 total 1.2 BTT — 0x7099…79c8 0.6 BTT (receipt for 60.0 MiB), 0x3c44…93bc 0.6 BTT (receipt for 1.0 MiB)')
    readable(line)
    // with what the transaction cost, as the reporter sends it now
    const paid = eventText('settled', { reason: 'risk', txId: TX, method: 'settle', total: '1', gasUsed: '48499', fee: '0.000048499 BTT', payers: [{ payer: PAYER, bytes: '1048576', paid: '1' }] })
    expect(paid).to.equal('settled (risk): settle 0xabc1…f456 total 1 BTT, fee 0.000048499 BTT — 0x7099…79c8 1 BTT (receipt for 1.0 MiB)')
  })

  it('paid lists the channels instead of [object Object]', () => {
    const line = eventText('paid', { account: PAYER, spent: '0.03', channels: [{ payee: PAYER2, bytes: String(3 * 1048576), amount: '0.03' }] })
    expect(line).to.equal('paid: signed 0.03 BTT this run from 0x7099…79c8; receipts per seeder (all runs): 0x3c44…93bc 0.03 BTT for 3.0 MiB')
    expect(eventText('paid', { account: PAYER, spent: '0', channels: [] })).to.match(/receipts per seeder \(all runs\): none$/)
  })

  it('amounts get their unit and thousands; prices are per MiB', () => {
    const payee = eventText('payments', {
      role: 'payee', account: PAYER, network: 'mainnet', chainId: '728126428', escrow: PAYER2, pricePerMiB: '0.000001', creditBytes: '33554432', initialCreditBytes: '4194304',
      freeSlots: 4, settleThreshold: '8564640', maxExposure: '0.000064', wantLane: '0', ledger: '/l.sqlite'
    })
    expect(payee).to.contain('charging 0.000001 BTT/MiB as 0x7099…79c8 on mainnet')
    expect(payee).to.contain('settling a payer once it owes 8,564,640 BTT')
    expect(payee).to.contain('serving up to 32.0 MiB ahead of payment (4.0 MiB to start), 4 free slots')
    expect(payee).to.not.contain('lane')
    readable(payee)
    const payer = eventText('payments', {
      role: 'payer', account: PAYER, signer: PAYER2, network: 'local', chainId: '31337', escrow: PAYER2, maxPricePerMiB: '0.02',
      budget: 'escrow balance', spendable: '25.5', autoLane: true, ledger: '/p.sqlite'
    })
    expect(payer).to.contain('paying at most 0.02 BTT/MiB as 0x7099…79c8 (signer 0x3c44…93bc) on local')
    expect(payer).to.contain('budget your escrow balance, 25.5 BTT spendable')
    readable(payer)
    expect(eventText('payment:peer', { peerId: '2d5350303030312d' + 'ab'.repeat(12), account: PAYER2, pricePerMiB: '0.01', wantsLane: '0.5' }))
      .to.equal('seeder 0x3c44…93bc (peer 2d5350…abab) asks 0.01 BTT/MiB and a 0.5 BTT lane')
    expect(eventText('budget:spent', { spent: '1', budget: '1', free: '24.5', action: 'charging peers are no longer asked; free peers go on' }))
      .to.equal('budget spent: signed 1 BTT of 1 BTT (24.5 BTT free left); charging peers are no longer asked; free peers go on')
  })

  it('lane, settlement, watchtower and failure events read as sentences', () => {
    expect(eventText('lane:reserved', { txId: TX, lanes: [{ payee: PAYER2, amount: '0.5' }] })).to.equal('lane reserved (tx 0xabc1…f456): 0.5 BTT for seeder 0x3c44…93bc')
    expect(eventText('settlement', { txIds: [TX], total: '1.2', failed: [] })).to.equal('settlement on shutdown: 1 transaction (0xabc1…f456) paid 1.2 BTT')
    expect(eventText('settlement', { txIds: [], total: '0', failed: [PAYER] })).to.equal('settlement on shutdown: nothing left to settle; failed for 0x7099…79c8')
    expect(eventText('settlement', { network: 'local-bttc', txIds: [], total: '0', failed: [] })).to.equal('settlement on shutdown on local-bttc: nothing left to settle')
    expect(eventText('settle:failed', { reason: 'threshold', payers: [PAYER, PAYER2], error: 'nonce too low', retryInMs: 30_000 }))
      .to.equal('settling failed (threshold) for 0x7099…79c8, 0x3c44…93bc: nonce too low; retrying in 30 s')
    const w = eventText('watchtower:withdrawal', { payer: PAYER, amount: '100', unsettled: '0.3', atRisk: '0.3', urgent: true, txId: TX })
    expect(w).to.equal('watchtower: payer 0x7099…79c8 asked to withdraw 100 BTT (tx 0xabc1…f456); 0.3 BTT unsettled, 0.3 BTT at risk → settling now')
  })

  it('engine events: bytes with units', () => {
    expect(eventText('done', { verifiedBytes: 3 * 1048576, pieces: 12 })).to.equal('done: 3.0 MiB verified (12 pieces)')
    const exit = eventText('exit', { verifiedBytes: 1048576, done: true, downloaded: 1048576, uploaded: 0, cpuUserMs: 10, cpuSystemMs: 2, maxRssMiB: 80 })
    expect(exit).to.equal('exit: 1.0 MiB verified (complete); downloaded 1.0 MiB, uploaded 0 B')
  })

  it('an event without its own line still renders nested values readably', () => {
    const line = eventText('something:new', { list: [{ payee: PAYER, amount: '1' }, { payee: PAYER2, amount: '2' }], empty: [], n: 3, none: null })
    expect(line).to.equal('something:new: list=(payee 0x7099…79c8, amount 1), (payee 0x3c44…93bc, amount 2) empty=none n=3 none=–')
    readable(line)
    expect(genericText('bare', {})).to.equal('bare')
    expect(valueText({ a: { b: [1, 2] } })).to.equal('(a (b 1, 2))')
  })

  it('shortens hex ids but never decimal numbers; BTT fields that are not numbers pass through', () => {
    expect(shortHex(PAYER)).to.equal('0x7099…79c8')
    expect(shortHex('10000000000000000000')).to.equal('10000000000000000000')
    expect(shortHex('abc')).to.equal('abc')
    expect(bttField('escrow balance')).to.equal('escrow balance')
    expect(bttField('35910000')).to.equal('35,910,000 BTT')
    expect(bytesText(0)).to.equal('0 B')
    expect(bytesText(1536)).to.equal('1.5 KiB')
    expect(bytesText(String(35 * 2 ** 30))).to.equal('35.0 GiB')
  })
})
