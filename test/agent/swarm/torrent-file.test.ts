import { expect } from 'chai'
import bencode from 'bencode'
import { loadTorrent, parseMagnet, parseTorrentBuffer, InvalidTorrentError } from '../../../agent/swarm/index.ts'
import { makeFixture } from './fixtures.ts'

async function rejects (p: Promise<unknown>, field: string): Promise<void> {
  try {
    await p
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidTorrentError)
    expect((err as InvalidTorrentError).field).to.equal(field)
    return
  }
  expect.fail(`expected InvalidTorrentError on ${field}`)
}

describe('torrent files and magnet links', function () {
  const info = { name: Buffer.from('x'), 'piece length': 16384, length: 20000, pieces: Buffer.alloc(40) }

  it('loads a single-file and a multi-file torrent with file offsets', async () => {
    const fx = await makeFixture({ 'a.bin': 5000, 'b/c.bin': 70000 }, 16384)
    try {
      const m = await loadTorrent(fx.torrent)
      if (m.kind !== 'torrent') throw new Error('expected metadata')
      expect(m.files.map(f => [f.path, f.offset, f.length])).to.deep.equal([['data/a.bin', 0, 5000], ['data/b/c.bin', 5000, 70000]])
      expect(m.pieceCount).to.equal(Math.ceil(75000 / 16384))
      expect(m.lastPieceLength).to.equal(75000 - 4 * 16384)
    } finally {
      await fx.cleanup()
    }
  })

  it('names the wrong field of a malformed torrent', async () => {
    await rejects(parseTorrentBuffer(Buffer.from('not bencode')), 'bencode')
    await rejects(parseTorrentBuffer(bencode.encode({ announce: 'x' })), 'info')
    await rejects(parseTorrentBuffer(bencode.encode({ info: { ...info, 'piece length': 0 } })), 'info.piece length')
    await rejects(parseTorrentBuffer(bencode.encode({ info: { ...info, pieces: Buffer.alloc(30) } })), 'info.pieces')
    await rejects(parseTorrentBuffer(bencode.encode({ info: { ...info, pieces: Buffer.alloc(60) } })), 'info.pieces')
    await rejects(parseTorrentBuffer(bencode.encode({ info: { name: 'x', 'piece length': 16384, pieces: Buffer.alloc(20), files: [{ length: 5, path: ['..', 'etc'] }] } })), 'info.files.path')
    await rejects(loadTorrent('/nonexistent/file.torrent'), 'file')
  })

  it('parses magnet links (hex and base32) and names what is missing', () => {
    const hex = 'c9e15763f722f23e98a29decdfae341b98d53056'
    const m = parseMagnet(`magnet:?xt=urn:btih:${hex.toUpperCase()}&dn=name&tr=http%3A%2F%2Ft%2Fa&x.pe=127.0.0.1:6881`)
    expect(m).to.deep.equal({ kind: 'magnet', infoHash: hex, name: 'name', announce: ['http://t/a'], peers: ['127.0.0.1:6881'] })
    expect(parseMagnet('magnet:?xt=urn:btih:ZHQVOY7XELZD5GFCTXWN7LRUDOMNKMCW').infoHash).to.equal(hex)
    expect(() => parseMagnet('magnet:?dn=x')).to.throw(InvalidTorrentError, /xt/)
    expect(() => parseMagnet('magnet:?xt=urn:btih:1234')).to.throw(InvalidTorrentError, /40 hex/)
  })
})
