import { expect } from 'chai'
import { Storage } from '../../../agent/swarm/storage.ts'
import { releaseChunk } from '../../../agent/swarm/lent-buffers.ts'
import { makeFixture, logger, type Fixture } from './fixtures.ts'

/** 1 MiB pieces, so 16 reads fill the 16 MiB read cache and the 17th evicts the oldest. */
const PIECE = 1024 * 1024
const PIECES = 40

describe('swarm storage: upload read cache', function () {
  let fx: Fixture | undefined
  let storage: Storage | undefined
  afterEach(async () => {
    await storage?.close()
    await fx?.cleanup()
  })

  async function open (): Promise<{ storage: Storage, data: Buffer }> {
    fx = await makeFixture({ data: PIECES * PIECE }, PIECE)
    storage = new Storage({ logger }, { meta: fx.meta, dataDir: fx.seedDir, readOnly: true })
    await storage.open()
    return { storage, data: fx.files.get('data')! }
  }

  function block (data: Buffer, index: number, offset = 0, length = 16 * 1024): Buffer {
    return data.subarray(index * PIECE + offset, index * PIECE + offset + length)
  }

  it('never reuses the memory of a block that is still waiting to be sent, even after its piece left the cache', async () => {
    const { storage: s, data } = await open()
    const held = await s.read(0, 32 * 1024, 16 * 1024)
    // Every other piece goes through the cache twice over; piece 0 is evicted long before the end.
    for (let i = 1; i < PIECES; i++) releaseChunk(await s.read(i, 0, 16 * 1024))
    expect(held.equals(block(data, 0, 32 * 1024)), 'the held block still has piece 0 bytes').to.equal(true)
  })

  it('serves later pieces from the memory of blocks already sent, with the right bytes', async () => {
    const { storage: s, data } = await open()
    const first = await s.read(0, 0, 16 * 1024)
    const backing = first.buffer
    releaseChunk(first)
    let reused = -1
    for (let i = 1; i < PIECES; i++) {
      const b = await s.read(i, 0, 16 * 1024)
      expect(b.equals(block(data, i)), `piece ${i}`).to.equal(true)
      if (b.buffer === backing && reused === -1) reused = i
      releaseChunk(b)
    }
    expect(reused, 'piece 0 memory is read into again once evicted').to.be.greaterThan(15)
  })

  it('reads the same block twice from one cached piece, and re-reads a piece after it was evicted', async () => {
    const { storage: s, data } = await open()
    const a = await s.read(3, 0, 16 * 1024)
    const b = await s.read(3, 16 * 1024, 16 * 1024)
    expect(a.buffer).to.equal(b.buffer)
    releaseChunk(a)
    releaseChunk(b)
    for (let i = 4; i < PIECES; i++) releaseChunk(await s.read(i, 0, 16 * 1024))
    const again = await s.read(3, 16 * 1024, 16 * 1024)
    expect(again.equals(block(data, 3, 16 * 1024))).to.equal(true)
  })
})
