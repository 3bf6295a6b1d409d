/**
 * The engine as the seed of a crowd: 100 libtorrent sessions (devtools/clients/lt_crowd.py, two processes), each on
 * its own 127.0.0.x, dial it at the same moment and know no one else (no tracker, no PEX), so it holds every
 * connection and serves every byte (bench:swarm-many measures the 200-peer shape). Behaviour, not speed: every
 * session finishes, every one connected, and no connection ended for anything but a finished peer leaving.
 */
import { expect } from 'chai'
import path from 'node:path'
import { LtCrowd, makeTestTorrent, sha256File, stopAllProcesses, type TestTorrent } from '../../devtools/clients/index.ts'
import { EnginePeer } from './engine-peer.ts'

const CROWD = 100
const PROCESSES = 2
const SIZE = 2 * 1024 * 1024 + 777 // a short last piece

describe('interop: the engine seeds a crowd of libtorrent sessions', function () {
  this.timeout(180_000)
  let torrent: TestTorrent | undefined
  let seed: EnginePeer | undefined
  const crowds: LtCrowd[] = []
  after(async () => {
    await Promise.all(crowds.map(async c => { await c.stop() }))
    await seed?.stop()
    await stopAllProcesses()
    await torrent?.cleanup()
  })

  it(`serves ${CROWD} peers that dial at once, with its default connection limit; each ends with the file`, async () => {
    torrent = await makeTestTorrent({ size: SIZE, pieceLengthExp: 16 })
    seed = new EnginePeer()
    await seed.start(torrent.torrentPath, torrent.seedDir, { host: '127.0.0.2', announce: [] })
    const engine = seed.engine!
    const closes: string[] = []
    const connected = new Set<string>()
    let open = 0
    let peak = 0
    engine.on('peer:connect', ({ address }) => { connected.add(address.replace(/:\d+$/, '')); peak = Math.max(peak, ++open) })
    engine.on('peer:close', ({ peerId, reason }) => { if (peerId !== null) { open--; closes.push(reason) } })
    const per = CROWD / PROCESSES
    for (let k = 0; k < PROCESSES; k++) {
      crowds.push(new LtCrowd({
        torrentPath: torrent.torrentPath,
        saveRoot: path.join(torrent.dir, 'crowd'),
        hosts: Array.from({ length: per }, (_v, i) => `127.0.0.${30 + k * per + i}`),
        firstIndex: k * per,
        peers: [`127.0.0.2:${seed.port}`],
        timeoutS: 120
      }))
    }
    await Promise.all(crowds.map(async c => { await c.whenReady() }))
    for (const c of crowds) c.go()
    await Promise.all(crowds.map(async c => { await c.exited() }))

    expect(crowds.flatMap(c => c.errors)).to.deep.equal([])
    expect(crowds.reduce((n, c) => n + c.finishedAt.size, 0), 'sessions that finished').to.equal(CROWD)
    expect(connected.size, 'distinct peers that connected').to.equal(CROWD)
    // a finished libtorrent session closes its connection to the seed; nothing else ends one (no timeouts, refusals, violations)
    expect([...new Set(closes)]).to.deep.equal(['remote ended connection'])
    expect(peak).to.be.greaterThan(1)
    for (const i of [0, CROWD / 2, CROWD - 1]) {
      expect(await sha256File(path.join(torrent.dir, 'crowd', String(i), torrent.name)), `session ${i}'s file`).to.equal(torrent.sha256)
    }
  })
})
