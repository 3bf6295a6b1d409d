/** FileIO on real files: the bytes are the same whichever way a call runs, and a slow synchronous call sends the next ones to the thread pool. */
import { expect } from 'chai'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileIO, SyncGate, SLOW_SYNC_MS, SYNC_BACKOFF_MS } from '../../../agent/swarm/file-io.ts'

describe('SyncGate', () => {
  it('allows synchronous calls until one is slow, then none for the back-off, then again', () => {
    const gate = new SyncGate(10, 1000)
    expect(gate.allows(0)).to.equal(true)
    gate.record(9, 5)
    expect(gate.allows(6)).to.equal(true)
    gate.record(11, 20)
    expect(gate.allows(21)).to.equal(false)
    expect(gate.allows(1019)).to.equal(false)
    expect(gate.allows(1020)).to.equal(true)
  })

  it('defaults: a call slower than SLOW_SYNC_MS backs off SYNC_BACKOFF_MS', () => {
    const gate = new SyncGate()
    gate.record(SLOW_SYNC_MS, 0)
    expect(gate.backingOff(1)).to.equal(false)
    gate.record(SLOW_SYNC_MS + 1, 0)
    expect(gate.backingOff(SYNC_BACKOFF_MS - 1)).to.equal(true)
    expect(gate.backingOff(SYNC_BACKOFF_MS)).to.equal(false)
  })
})

describe('FileIO', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'seedpay-fileio-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  for (const sync of [true, false]) {
    it(`writes and reads back the same bytes at their positions (${sync ? 'event loop' : 'thread pool'})`, async () => {
      const io = new FileIO({ sync })
      const fh = await open(join(dir, 'f'), 'w+')
      try {
        const a = randomBytes(256 * 1024)
        const b = randomBytes(16 * 1024)
        expect(await io.write(fh.fd, a, 0, a.length, 0)).to.equal(a.length)
        expect(await io.write(fh.fd, b, 1024, b.length - 1024, a.length + 7)).to.equal(b.length - 1024)
        const back = Buffer.alloc(a.length + 7 + b.length - 1024)
        expect(await io.read(fh.fd, back, 0, back.length, 0)).to.equal(back.length)
        expect(back.subarray(0, a.length).equals(a)).to.equal(true)
        expect(back.subarray(a.length, a.length + 7).equals(Buffer.alloc(7))).to.equal(true)
        expect(back.subarray(a.length + 7).equals(b.subarray(1024))).to.equal(true)
        // past the end: 0 bytes, as fs.read says
        expect(await io.read(fh.fd, Buffer.alloc(10), 0, 10, back.length)).to.equal(0)
      } finally { await fh.close() }
    })
  }

  it('a synchronous call slower than slowMs sends the next calls to the thread pool for backoffMs', async () => {
    // each clock reading is 30 ms later: every synchronous call "takes" 30 ms
    let now = 0
    const io = new FileIO({ slowMs: 20, backoffMs: 1000, clock: () => (now += 30) })
    const fh = await open(join(dir, 'f'), 'w+')
    try {
      const buf = randomBytes(4096)
      await io.write(fh.fd, buf, 0, buf.length, 0)
      expect(io.gate.backingOff(now + 1)).to.equal(true)
      // on the thread pool now: still correct, and not timed
      await io.write(fh.fd, buf, 0, buf.length, 4096)
      const back = Buffer.alloc(8192)
      await io.read(fh.fd, back, 0, back.length, 0)
      expect(back.equals(Buffer.concat([buf, buf]))).to.equal(true)
      now += 1000
      expect(io.gate.backingOff(now)).to.equal(false)
    } finally { await fh.close() }
  })

  it('an error of a synchronous call rejects like the asynchronous one (a closed descriptor)', async () => {
    const fh = await open(join(dir, 'f'), 'w+')
    const fd = fh.fd
    await fh.close()
    for (const sync of [true, false]) {
      const err = await new FileIO({ sync }).write(fd, Buffer.alloc(1), 0, 1, 0).then(() => null, (e: NodeJS.ErrnoException) => e)
      expect(err?.code).to.equal('EBADF')
    }
  })
})
