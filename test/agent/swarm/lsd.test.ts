import { expect } from 'chai'
import { createSocket } from 'node:dgram'
import { LsdSource } from '../../../agent/swarm/index.ts'
import { logger } from './fixtures.ts'

/** BEP 14 on its real port (6771, bound with SO_REUSEADDR by bittorrent-lsd), fed by unicast datagrams on loopback. */
describe('Local Service Discovery (BEP 14)', () => {
  const send = async (text: string): Promise<void> => {
    const s = createSocket('udp4')
    await new Promise<void>((resolve, reject) => s.send(text, 6771, '127.0.0.1', err => { s.close(); if (err !== null) reject(err); else resolve() }))
  }

  it('hands a LAN announce for our torrent to the dialler; ignores other torrents and survives garbage that crashes bittorrent-lsd', async () => {
    const infoHash = 'ab'.repeat(20)
    const found: string[] = []
    const controller = new AbortController()
    new LsdSource({ logger }).find(infoHash, { port: 51413, onPeer: a => found.push(a), signal: controller.signal })
    try {
      await new Promise(resolve => setTimeout(resolve, 200))
      // One line: bittorrent-lsd's own parser throws on this (sections[1] is undefined).
      await send('BT-SEARCH * HTTP/1.1')
      await send('x'.repeat(1500))
      await send(`BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6000\r\nInfohash: ${'cd'.repeat(20)}\r\n\r\n\r\n`)
      await send(`BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 7000\r\nInfohash: ${infoHash.toUpperCase()}\r\ncookie: someone-else\r\n\r\n\r\n`)
      const deadline = Date.now() + 5000
      while (found.length === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
      expect(found).to.deep.equal(['127.0.0.1:7000'])
    } finally {
      controller.abort()
    }
  })
})
