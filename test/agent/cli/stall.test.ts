import { expect } from 'chai'
import { explainStall, StallReportPlan, DEFAULT_STALL_AFTER_MS, STALL_REPEAT_MS, type PeerFacts, type StallReason, type StallSnapshot } from '../../../agent/cli/stall.ts'

const E18 = 10n ** 18n
const T0 = 1_000_000
const LATER = T0 + DEFAULT_STALL_AFTER_MS

function peer (address: string, f: Partial<PeerFacts> = {}): PeerFacts {
  return { address, dialFailures: 0, lastDialError: null, handshakes: 0, connected: false, quickCloses: 0, seedpay: false, askedPricePerMiB: null, refusal: null, everUnchoked: false, unchoked: false, hasPieces: null, ...f }
}

function snap (peers: PeerFacts[], s: Partial<StallSnapshot> = {}): StallSnapshot {
  return { lastProgressAt: T0, lastReceivedAt: null, trackers: 0, directPeers: peers.length, magnet: false, maxPricePerMiB: null, peers, ...s }
}

describe('explainStall', () => {
  it('says nothing before the stall threshold', () => {
    expect(explainStall(snap([]), LATER - 1)).to.equal(null)
    expect(explainStall(snap([]), LATER)).to.not.equal(null)
  })

  it('(a) peers charging more than --max-price: the count, the asked prices and the price to raise to', () => {
    const refused = { by: 'us' as const, code: 'price', msg: 'peer asks …' }
    const r = explainStall(snap([
      peer('127.0.0.2:6881', { handshakes: 3, refusal: refused, askedPricePerMiB: E18 / 100n }),
      peer('127.0.0.3:6881', { handshakes: 3, refusal: refused, askedPricePerMiB: E18 / 50n })
    ], { maxPricePerMiB: E18 / 1000n }), LATER)!
    expect(r.code).to.equal('price')
    expect(r.message).to.equal('2 peers charge more than --max-price 0.001 BTT/MiB (they ask 0.01–0.02)')
    expect(r.hint).to.equal('raise --max-price to at least 0.01')
    const one = explainStall(snap([peer('127.0.0.2:6881', { refusal: refused, askedPricePerMiB: E18 / 100n })], { maxPricePerMiB: E18 / 1000n }), LATER)!
    expect(one.message).to.equal('127.0.0.2:6881 charges more than --max-price 0.001 BTT/MiB (it asks 0.01)')
  })

  it('(b) a seedpay seeder that never unchokes a plain download: serves paying peers only', () => {
    const r = explainStall(snap([peer('127.0.0.2:6881', { handshakes: 1, connected: true, seedpay: true, hasPieces: true })]), LATER)!
    expect(r.code).to.equal('paying-only')
    expect(r.message).to.equal('the only seeder (127.0.0.2:6881) serves paying peers only')
    expect(r.hint).to.match(/--max-price/)
    // with --max-price the same peer is no longer explained that way
    const paying = explainStall(snap([peer('127.0.0.2:6881', { handshakes: 1, connected: true, seedpay: true })], { maxPricePerMiB: E18 }), LATER)!
    expect(paying.code).to.equal('choked')
  })

  it('(c) no tracker and no --peer: nothing can ever happen', () => {
    const r = explainStall(snap([], { directPeers: 0 }), LATER)!
    expect(r.code).to.equal('no-source')
    expect(r.message).to.equal('no peers: the torrent has no tracker and no --peer was given')
    expect(r.hint).to.match(/^pass --peer host:port/)
    expect(explainStall(snap([], { directPeers: 0, magnet: true }), LATER)!.message).to.match(/the magnet link has no tracker/)
    expect(explainStall(snap([], { directPeers: 0, trackers: 1 }), LATER)!.code).to.equal('no-peers')
  })

  it('(d) a foreign-resync refusal wins over everything else', () => {
    const r = explainStall(snap([
      peer('127.0.0.1:1', { dialFailures: 4, lastDialError: 'ECONNREFUSED' }),
      peer('127.0.0.2:6881', { handshakes: 2, refusal: { by: 'us', code: 'foreign-resync', msg: 'resync receipt recovers to 0xabc' } })
    ]), LATER)!
    expect(r.code).to.equal('foreign-resync')
    expect(r.peers).to.deep.equal(['127.0.0.2:6881'])
    expect(r.message).to.match(/^127\.0\.0\.2:6881 was refused: .*foreign-resync/)
  })

  it('(e) a peer that closes right after every handshake', () => {
    const r = explainStall(snap([peer('127.0.0.3:51413', { handshakes: 4, quickCloses: 4 })]), LATER)!
    expect(r.code).to.equal('closes-after-handshake')
    expect(r.message).to.equal('127.0.0.3:51413 closes every connection right after the handshake (Transmission accepts one connection per IP)')
    // one quick close is not a pattern yet
    expect(explainStall(snap([peer('127.0.0.3:51413', { handshakes: 1, quickCloses: 1 })]), LATER)!.code).to.equal('slow')
  })

  it('(f) unreachable peers: the error in words', () => {
    const r = explainStall(snap([peer('127.0.0.1:1', { dialFailures: 3, lastDialError: 'ECONNREFUSED' })]), LATER)!
    expect(r.code).to.equal('unreachable')
    expect(r.message).to.equal('cannot connect to 127.0.0.1:1 (connection refused)')
    expect(r.hint).to.equal('check the address and that the seeder runs')
    const many = explainStall(snap([
      peer('10.0.0.1:1', { dialFailures: 1, lastDialError: 'connect timeout' }),
      peer('10.0.0.2:1', { dialFailures: 1, lastDialError: 'EHOSTUNREACH' })
    ]), LATER)!
    expect(many.message).to.equal('cannot connect to 2 peers: 10.0.0.1:1 (timed out), 10.0.0.2:1 (host unreachable)')
  })

  it('a refusal the peer sent us, with the hint for its code', () => {
    const r = explainStall(snap([peer('127.0.0.2:6881', { handshakes: 1, refusal: { by: 'peer', code: 'escrow', msg: 'peer uses escrow 0x1' } })], { maxPricePerMiB: E18 }), LATER)!
    expect(r.code).to.equal('refused')
    expect(r.message).to.equal('127.0.0.2:6881 refuses us (escrow): peer uses escrow 0x1')
    expect(r.hint).to.match(/--escrow/)
  })

  it('connected peers that choke us, or have nothing we miss', () => {
    expect(explainStall(snap([peer('a:1', { handshakes: 1, connected: true, everUnchoked: true })]), LATER)!.code).to.equal('choked')
    expect(explainStall(snap([peer('a:1', { handshakes: 1, connected: true, unchoked: true, everUnchoked: true, hasPieces: false })]), LATER)!.code).to.equal('no-pieces')
    const slow = explainStall(snap([peer('a:1', { handshakes: 1, connected: true, unchoked: true, everUnchoked: true, hasPieces: true })]), LATER + 5000)!
    expect(slow.code).to.equal('slow')
    expect(slow.message).to.equal('nothing verified for 15 s from a:1')
    // ...unless piece data is still arriving (a large piece on its way)
    expect(explainStall(snap([peer('a:1', { handshakes: 1, connected: true, unchoked: true, everUnchoked: true, hasPieces: true })], { lastReceivedAt: LATER }), LATER + 5000)).to.equal(null)
  })
})

describe('StallReportPlan', () => {
  const reason = (message: string): StallReason => ({ code: 'slow', peers: [], message, hint: 'h' })

  it('reports at once, repeats only a changed reason, and at most every 30 s', () => {
    const plan = new StallReportPlan()
    expect(plan.due(reason('a'), 0)).to.equal(true)
    expect(plan.due(reason('a'), 1000)).to.equal(false)
    expect(plan.due(reason('a'), STALL_REPEAT_MS * 10)).to.equal(false)
    expect(plan.due(reason('b'), STALL_REPEAT_MS * 10 + 1)).to.equal(true)
    expect(plan.due(reason('c'), STALL_REPEAT_MS * 10 + 2)).to.equal(false)
    expect(plan.due(reason('c'), STALL_REPEAT_MS * 11 + 1)).to.equal(true)
  })

  it('after progress, the next stall is reported at once even with the same reason', () => {
    const plan = new StallReportPlan()
    expect(plan.due(reason('a'), 0)).to.equal(true)
    plan.reset()
    expect(plan.due(reason('a'), 1)).to.equal(true)
  })
})
