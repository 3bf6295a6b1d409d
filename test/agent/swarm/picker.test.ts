import { expect } from 'chai'
import { Picker, BLOCK_LENGTH } from '../../../agent/swarm/index.ts'

const all = (): boolean => true
const none = (): boolean => false

describe('Picker', function () {
  it('picks the rarest piece first once it has one piece', () => {
    const p = new Picker({ pieceCount: 4, pieceLength: BLOCK_LENGTH, lastPieceLength: BLOCK_LENGTH, have: [true, false, false, false], random: () => 0 })
    p.addBitfield(all, 1)
    p.addBitfield(i => i !== 2, 1)
    p.addBitfield(i => i === 1, 1)
    const first = p.next(all, 1, none, 'a')
    expect(first.map(b => b.index)).to.deep.equal([2])
    expect(p.next(all, 1, none, 'a').map(b => b.index)).to.deep.equal([3])
  })

  it('keeps pieces with the peer that started them and never asks one peer twice for a block in endgame', () => {
    const p = new Picker({ pieceCount: 2, pieceLength: 2 * BLOCK_LENGTH, lastPieceLength: 2 * BLOCK_LENGTH, random: () => 0 })
    const a = p.next(all, 10, none, 'a')
    expect(a).to.have.length(4)
    // Nothing unstarted is left: b gets a's blocks as endgame duplicates, each once.
    const b = p.next(all, 10, none, 'b')
    expect(new Set(b.map(r => `${r.index}:${r.offset}`)).size).to.equal(b.length)
    expect(b).to.have.length(4)
    expect(p.inEndgame).to.equal(true)
  })

  it('hands out at most maxDuplicates endgame duplicates per call, none at 0, and never caps new blocks', () => {
    const p = new Picker({ pieceCount: 2, pieceLength: 4 * BLOCK_LENGTH, lastPieceLength: 4 * BLOCK_LENGTH, random: () => 0 })
    expect(p.next(all, 4, none, 'a', 0)).to.have.length(4)
    // a peer whose queue is still full gets nothing more (downloader: ENDGAME_QUEUE), new pieces still flow
    expect(p.next(all, 10, none, 'b', 0)).to.have.length(4)
    expect(p.inEndgame).to.equal(false)
    expect(p.next(all, 10, none, 'c', 0)).to.have.length(0)
    const dup = p.next(all, 10, none, 'c', 3)
    expect(dup).to.have.length(3)
    expect(p.inEndgame).to.equal(true)
  })

  it('deadline mode: the urgent window first, in order, even a piece another peer started; then rarest-first again', () => {
    const p = new Picker({ pieceCount: 8, pieceLength: 2 * BLOCK_LENGTH, lastPieceLength: 2 * BLOCK_LENGTH, random: () => 0 })
    p.addBitfield(all, 1)
    p.addBitfield(i => i < 4, 1)
    // rarest first: 4..7
    expect(p.next(all, 2, none, 'a').map(b => b.index)).to.deep.equal([4, 4])
    const w = { from: 1, to: 3 }
    p.setUrgent(w)
    expect(p.urgentUnrequested).to.equal(true)
    expect(p.next(all, 1, none, 'b').map(b => `${b.index}:${b.offset / BLOCK_LENGTH}`)).to.deep.equal(['1:0'])
    expect(p.urgentUnrequested).to.equal(true)
    expect(p.next(all, 2, none, 'b').map(b => `${b.index}:${b.offset / BLOCK_LENGTH}`)).to.deep.equal(['1:1', '2:0'])
    // the piece the reader waits for is all asked for
    expect(p.urgentUnrequested).to.equal(false)
    expect(p.next(all, 1, none, 'c').map(b => `${b.index}:${b.offset / BLOCK_LENGTH}`)).to.deep.equal(['2:1'])
    p.setUrgent(null)
    expect(p.urgentWindow).to.equal(null)
    expect(p.next(all, 2, none, 'c').map(b => b.index)).to.deep.equal([5, 5])
  })

  it('returns a completed piece with per-block senders, rejects wrong lengths and unrequested blocks, and re-offers failed pieces', () => {
    const p = new Picker({ pieceCount: 1, pieceLength: 2 * BLOCK_LENGTH, lastPieceLength: BLOCK_LENGTH + 10 })
    const reqs = p.next(all, 10, none, 'a')
    expect(reqs.map(r => r.length)).to.deep.equal([BLOCK_LENGTH, 10])
    expect(p.receive(0, BLOCK_LENGTH, Buffer.alloc(9), 'a')).to.equal('unexpected')
    expect(p.receive(0, 0, Buffer.alloc(BLOCK_LENGTH), 'a')).to.equal(null)
    expect(p.receive(0, 0, Buffer.alloc(BLOCK_LENGTH), 'b')).to.equal('duplicate')
    const done = p.receive(0, BLOCK_LENGTH, Buffer.alloc(10), 'b')
    if (done === null || typeof done === 'string') throw new Error('expected a piece')
    expect(done.senders).to.deep.equal(['a', 'b'])
    expect(p.next(all, 10, none, 'a')).to.have.length(0)
    p.failed(0)
    expect(p.next(all, 10, none, 'c')).to.have.length(2)
  })

  it('keeps a late block for a request it gave back while the piece needs it, and nothing else', () => {
    const p = new Picker({ pieceCount: 2, pieceLength: 2 * BLOCK_LENGTH, lastPieceLength: 2 * BLOCK_LENGTH, random: () => 0 })
    const reqs = p.next(all, 2, none, 'a')
    const i = reqs[0]!.index
    const other = 1 - i
    expect(reqs.map(r => `${r.index}:${r.offset}`)).to.deep.equal([`${i}:0`, `${i}:${BLOCK_LENGTH}`])
    // the peer choked us as it sent them: we gave both requests back
    for (const r of reqs) p.release(r.index, r.offset)
    expect(p.receive(i, 0, Buffer.alloc(BLOCK_LENGTH), 'a')).to.equal('unexpected')
    expect(p.receive(i, 0, Buffer.alloc(BLOCK_LENGTH), 'a', { late: true })).to.equal(null)
    expect(p.receive(i, 0, Buffer.alloc(BLOCK_LENGTH), 'a', { late: true })).to.equal('duplicate')
    // a late block of a wrong length, or of a piece nobody started, is still not taken
    expect(p.receive(i, BLOCK_LENGTH, Buffer.alloc(9), 'a', { late: true })).to.equal('unexpected')
    expect(p.receive(other, 0, Buffer.alloc(BLOCK_LENGTH), 'a', { late: true })).to.equal('unexpected')
    const done = p.receive(i, BLOCK_LENGTH, Buffer.alloc(BLOCK_LENGTH), 'a', { late: true })
    if (done === null || typeof done === 'string') throw new Error('expected a piece')
    expect(done.senders).to.deep.equal(['a', 'a'])
    // the late answers completed it: only the other piece is asked for
    expect(p.next(all, 10, none, 'b').map(r => r.index)).to.deep.equal([other, other])
  })
})

describe('Picker: several new pieces in one call', function () {
  it('takes them rarest first among the pieces the peer has, and a failed piece is wanted again', () => {
    // availability: piece i is held by 8 - i peers, so 7 is the rarest (we have it); this peer has 6, 2, 5 and 3 only
    const p = new Picker({ pieceCount: 8, pieceLength: BLOCK_LENGTH, lastPieceLength: BLOCK_LENGTH, have: [false, false, false, false, false, false, false, true], random: () => 0 })
    for (let k = 1; k <= 8; k++) p.addBitfield(i => i < k, 1)
    const peer = (i: number): boolean => [6, 2, 5, 3].includes(i)
    expect(p.next(peer, 3, none, 'a').map(b => b.index)).to.deep.equal([6, 5, 3])
    expect(p.next(peer, 3, none, 'a', 0).map(b => b.index)).to.deep.equal([2])
    // piece 3 arrives whole and fails its hash: wanted again, from anyone who has it
    expect(p.receive(3, 0, Buffer.alloc(BLOCK_LENGTH), 'a')).to.not.equal(null)
    p.failed(3)
    expect(p.next(all, 3, none, 'b', 0).map(b => b.index)).to.deep.equal([4, 3, 1])
    // a verified piece is never asked for again
    expect(p.receive(2, 0, Buffer.alloc(BLOCK_LENGTH), 'a')).to.not.equal(null)
    p.verified(2)
    expect(p.next(all, 8, none, 'c', 0).map(b => b.index)).to.deep.equal([0])
  })

  it('a random first piece, then the rest of the call rarest first', () => {
    const p = new Picker({ pieceCount: 6, pieceLength: BLOCK_LENGTH, lastPieceLength: BLOCK_LENGTH, random: () => 0.99 })
    for (let k = 1; k <= 6; k++) p.addBitfield(i => i < k, 1)
    const got = p.next(all, 3, none, 'a').map(b => b.index)
    // the order is 5, 4, …, 0 (rarest first); the first pick is random (its last, with random() = 0.99), then the
    // two rarest
    expect(got).to.deep.equal([0, 5, 4])
  })
})
