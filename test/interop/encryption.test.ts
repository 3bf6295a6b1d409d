/**
 * Encrypted connections (MSE/PE) between our engine (`encryption: 'require'`, RC4 only) and Debian clients that
 * require encryption too: libtorrent 2.0 with out_enc_policy and in_enc_policy pe_forced and allowed_enc_level rc4, in
 * both directions and both dialling roles; Transmission 3 with `encryption: 2` (required). Transmission never dials
 * 127.0.0.0/8 and takes one peer per IP, so the engine dials it and every test has its own 127.0.0.x pair. Each transfer
 * ends with the SHA-256 of the file compared, and the engine's wire must have run RC4.
 */
import { expect } from 'chai'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import {
  LibtorrentClient, TransmissionClient, makeTestTorrent, sha256File, stopAllProcesses, freePort,
  type BitTorrentClient, type TestTorrent
} from '../../devtools/clients/index.ts'
import { EnginePeer } from './engine-peer.ts'

const TIMEOUT_MS = 60_000
const SIZE = 4 * 1024 * 1024 + 54321

describe('interop: encrypted connections (MSE/PE required) with libtorrent and Transmission', function () {
  this.timeout(TIMEOUT_MS + 40_000)
  let torrent: TestTorrent
  const running: Array<{ stop: () => Promise<void> }> = []
  let n = 0

  before(async () => { torrent = await makeTestTorrent({ size: SIZE, announce: [] }) })
  afterEach(async () => { await Promise.all(running.splice(0).map(async c => { await c.stop() })) })
  after(async () => {
    await stopAllProcesses()
    await torrent?.cleanup()
  })

  async function setup (): Promise<{ dir: string, seedAddr: { host: string, port: number }, leechAddr: { host: string, port: number } }> {
    n++
    const dir = path.join(torrent.dir, `leech-${n}`)
    await mkdir(dir)
    const seedHost = `127.0.0.${100 + 2 * n}`
    const leechHost = `127.0.0.${101 + 2 * n}`
    return { dir, seedAddr: { host: seedHost, port: await freePort(seedHost) }, leechAddr: { host: leechHost, port: await freePort(leechHost) } }
  }

  /** The engine's wires as it made them, to check what each negotiated. */
  function wiresOf (engine: EnginePeer): Array<'plaintext' | 'rc4' | null> {
    const out: Array<'plaintext' | 'rc4' | null> = []
    engine.engine?.on('wire:created', ({ wire }) => out.push(wire.encryption))
    return out
  }

  async function finish (leecher: BitTorrentClient | EnginePeer, seeder: BitTorrentClient | EnginePeer, dir: string): Promise<void> {
    try {
      await leecher.waitForComplete({ timeoutMs: TIMEOUT_MS })
    } catch (err) {
      throw new Error(`${seeder.name} → ${leecher.name}: ${(err as Error).message}\n--- seeder log tail:\n${seeder.output().slice(-3000)}`)
    }
    expect(await sha256File(path.join(dir, torrent.name))).to.equal(torrent.sha256)
  }

  it('libtorrent (forced, rc4) seeds → engine (require) downloads, engine dials', async () => {
    const { dir, seedAddr, leechAddr } = await setup()
    const lt = new LibtorrentClient({ encryption: 'forced' })
    const engine = new EnginePeer()
    running.push(lt, engine)
    await lt.start(torrent.torrentPath, torrent.seedDir, seedAddr)
    await lt.waitForComplete({ timeoutMs: 20_000 })
    await engine.start(torrent.torrentPath, dir, { ...leechAddr, peers: [seedAddr], announce: [], encryption: 'require' })
    const wires = wiresOf(engine)
    await finish(engine, lt, dir)
    expect(wires).to.include('rc4')
    expect(wires).to.not.include(null)
  })

  it('engine (require) seeds → libtorrent (forced, rc4) downloads, libtorrent dials', async () => {
    const { dir, seedAddr, leechAddr } = await setup()
    const engine = new EnginePeer()
    const lt = new LibtorrentClient({ encryption: 'forced' })
    running.push(engine, lt)
    await engine.start(torrent.torrentPath, torrent.seedDir, { ...seedAddr, announce: [], encryption: 'require' })
    const wires = wiresOf(engine)
    await lt.start(torrent.torrentPath, dir, { ...leechAddr, seed: false, peers: [seedAddr] })
    await finish(lt, engine, dir)
    expect(wires).to.include('rc4')
    expect(wires).to.not.include(null)
  })

  it('engine (require) seeds → libtorrent (forced, rc4) downloads, engine dials', async () => {
    const { dir, seedAddr, leechAddr } = await setup()
    const lt = new LibtorrentClient({ encryption: 'forced' })
    const engine = new EnginePeer()
    running.push(lt, engine)
    await lt.start(torrent.torrentPath, dir, { ...leechAddr, seed: false })
    await engine.start(torrent.torrentPath, torrent.seedDir, { ...seedAddr, peers: [leechAddr], announce: [], encryption: 'require' })
    const wires = wiresOf(engine)
    await finish(lt, engine, dir)
    expect(wires).to.include('rc4')
  })

  it('transmission (encryption required) seeds → engine (require) downloads, engine dials', async () => {
    const { dir, seedAddr, leechAddr } = await setup()
    const tr = new TransmissionClient({ encryption: 'required' })
    const engine = new EnginePeer()
    running.push(tr, engine)
    await tr.start(torrent.torrentPath, torrent.seedDir, seedAddr)
    await tr.waitForComplete({ timeoutMs: 20_000 })
    await engine.start(torrent.torrentPath, dir, { ...leechAddr, peers: [seedAddr], announce: [], encryption: 'require' })
    const wires = wiresOf(engine)
    await finish(engine, tr, dir)
    expect(wires).to.include('rc4')
    expect(wires).to.not.include(null)
  })

  it('engine (require) seeds → transmission (encryption required) downloads, engine dials', async () => {
    const { dir, seedAddr, leechAddr } = await setup()
    const tr = new TransmissionClient({ encryption: 'required' })
    const engine = new EnginePeer()
    running.push(tr, engine)
    await tr.start(torrent.torrentPath, dir, { ...leechAddr, seed: false })
    await engine.start(torrent.torrentPath, torrent.seedDir, { ...seedAddr, peers: [leechAddr], announce: [], encryption: 'require' })
    const wires = wiresOf(engine)
    await finish(tr, engine, dir)
    expect(wires).to.include('rc4')
  })

  it('engine (off) cannot reach libtorrent (forced): its plain handshake is refused, the download never starts', async () => {
    const { dir, seedAddr, leechAddr } = await setup()
    const lt = new LibtorrentClient({ encryption: 'forced' })
    const engine = new EnginePeer()
    running.push(lt, engine)
    await lt.start(torrent.torrentPath, torrent.seedDir, seedAddr)
    await lt.waitForComplete({ timeoutMs: 20_000 })
    await engine.start(torrent.torrentPath, dir, { ...leechAddr, peers: [seedAddr], announce: [], encryption: 'off' })
    const closes: string[] = []
    engine.engine?.on('peer:close', ({ reason }) => closes.push(reason))
    await new Promise(resolve => setTimeout(resolve, 3000))
    expect(engine.engine?.stats().verifiedBytes).to.equal(0)
    expect(closes.length).to.be.greaterThan(0)
  })
})
