/**
 * Debian client → Debian client transfers. They check the harnesses themselves (each side reaches completion
 * and the downloaded file is byte-identical) before the harnesses are trusted against our engine.
 */
import { expect } from 'chai'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import {
  Aria2Client, LibtorrentClient, TransmissionClient, makeTestTorrent, sha256File, startJsTracker, stopAllProcesses, freePort,
  type BitTorrentClient, type JsTracker, type TestTorrent
} from '../../devtools/clients/index.ts'

const TIMEOUT_MS = 60_000

describe('interop: Debian clients with each other (harness checks)', function () {
  this.timeout(TIMEOUT_MS + 30_000)
  let tracker: JsTracker
  let torrent: TestTorrent
  const clients: BitTorrentClient[] = []

  before(async () => {
    tracker = await startJsTracker({ intervalMs: 2000 })
    torrent = await makeTestTorrent({ size: 3 * 1024 * 1024 + 12345, announce: [tracker.httpUrl] })
  })
  afterEach(async () => { await Promise.all(clients.splice(0).map(async c => { await c.stop() })) })
  after(async () => {
    await stopAllProcesses()
    await tracker?.close()
    await torrent?.cleanup()
  })

  /**
   * `dial`: who opens the connection. 'leecher' gives the leecher the seeder's address, 'seeder' the other way
   * round (Transmission never dials 127.0.0.0/8, so a Transmission leecher must be dialled), 'tracker' leaves
   * it to the torrent's tracker.
   */
  async function transfer (seeder: BitTorrentClient, leecher: BitTorrentClient, dial: 'leecher' | 'seeder' | 'tracker', tag: string): Promise<void> {
    clients.push(seeder, leecher)
    const seedAddr = { host: '127.0.0.2', port: await freePort('127.0.0.2') }
    const leechAddr = { host: '127.0.0.3', port: await freePort('127.0.0.3') }
    const leechDir = path.join(torrent.dir, `leech-${tag}`)
    await mkdir(leechDir)
    const startSeeder = async (): Promise<void> => {
      await seeder.start(torrent.torrentPath, torrent.seedDir, { ...seedAddr, ...(dial === 'seeder' ? { peers: [leechAddr] } : {}) })
      await seeder.waitForComplete({ timeoutMs: 20_000 })
    }
    const startLeecher = async (): Promise<void> => {
      await leecher.start(torrent.torrentPath, leechDir, { ...leechAddr, seed: false, ...(dial === 'leecher' ? { peers: [seedAddr] } : {}) })
    }
    if (dial === 'seeder') { await startLeecher(); await startSeeder() } else { await startSeeder(); await startLeecher() }
    try {
      await leecher.waitForComplete({ timeoutMs: TIMEOUT_MS })
    } catch (err) {
      throw new Error(`${seeder.name} → ${leecher.name} did not finish: ${(err as Error).message}\nseeder log:\n${seeder.output().slice(-2000)}`)
    }
    expect(await sha256File(path.join(leechDir, torrent.name))).to.equal(torrent.sha256)
  }

  it('libtorrent seeds → libtorrent downloads (direct peer)', async () => {
    await transfer(new LibtorrentClient(), new LibtorrentClient(), 'leecher', 'lt-lt')
  })

  it('transmission seeds → aria2c downloads (tracker)', async () => {
    await transfer(new TransmissionClient(), new Aria2Client(), 'tracker', 'tr-aria2')
  })

  it('aria2c seeds → libtorrent downloads (direct peer)', async () => {
    await transfer(new Aria2Client(), new LibtorrentClient(), 'leecher', 'aria2-lt')
  })

  it('libtorrent seeds → transmission downloads (libtorrent dials)', async () => {
    await transfer(new LibtorrentClient(), new TransmissionClient(), 'seeder', 'lt-tr')
  })
})
