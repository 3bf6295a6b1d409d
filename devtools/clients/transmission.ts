/**
 * Transmission 3 (Debian transmission-daemon) with its own config dir, peers on host:port, RPC on
 * 127.0.0.1:<random>, driven through its JSON RPC (what transmission-remote speaks).
 *
 * Transmission cannot be told to dial a given peer either: as a downloader it needs a tracker (`trackers`,
 * added with torrent-set trackerAdd, or one in the torrent). It keeps one connection per IP address.
 *
 * IMPORTANT: Transmission 3 never dials a peer in 127.0.0.0/8 (libtransmission net.c `isMartianAddr`), so on
 * loopback a Transmission *downloader* only gets data from peers that dial it: start it first and give its
 * host:port to the seeder. Incoming connections from 127.0.0.x are accepted.
 */
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startProcess, freePort, type ManagedProcess } from './process.ts'
import { waitForClient } from './wait.ts'
import type { BitTorrentClient, ClientProgress, ClientStartOptions } from './types.ts'

/** libtransmission's tr_torrent_activity: 1/2 check, 3/4 download, 5/6 seed. */
const TR_STATUS_CHECK_WAIT = 1
const TR_STATUS_CHECK = 2
const TR_STATUS_SEED = 6

interface TrTorrent { id: number, percentDone: number, status: number, rateDownload: number, rateUpload: number, peersConnected: number, error: number, errorString: string, leftUntilDone: number, haveValid: number, sizeWhenDone: number }

export interface TransmissionClientInit {
  /** Protect its RPC with a username and password (rpc-authentication-required). @default none */
  rpcAuth?: { username: string, password: string }
  /** MSE/PE: `required` is settings.json `encryption: 2` (-er). @default 'tolerated' (-et: plaintext preferred) */
  encryption?: 'required' | 'preferred' | 'tolerated'
}

export class TransmissionClient implements BitTorrentClient {
  readonly name = 'transmission'
  private proc: ManagedProcess | null = null
  private configDir = ''
  private url = ''
  private session = ''
  private id = 0

  constructor (private readonly init: TransmissionClientInit = {}) {}

  /** Its RPC endpoint (once started). */
  get rpcUrl (): string { return this.url }

  async start (torrentPath: string, dataDir: string, options: ClientStartOptions): Promise<void> {
    this.configDir = await mkdtemp(path.join(tmpdir(), 'seedpay-transmission-'))
    const rpcPort = await freePort('127.0.0.1')
    this.url = `http://127.0.0.1:${rpcPort}/transmission/rpc`
    await writeFile(path.join(this.configDir, 'settings.json'), JSON.stringify({
      'peer-port-random-on-start': false,
      'pex-enabled': false,
      'rpc-whitelist-enabled': false,
      'rpc-host-whitelist-enabled': false,
      'ratio-limit-enabled': false,
      'idle-seeding-limit-enabled': false,
      'speed-limit-up-enabled': false,
      'speed-limit-down-enabled': false,
      'alt-speed-enabled': false,
      'cache-size-mb': 64,
      'start-added-torrents': true,
      'peer-limit-per-torrent': 100,
      'message-level': 1
    }))
    this.proc = startProcess('transmission-daemon', 'transmission-daemon', [
      '-f', '-g', this.configDir, '-p', String(rpcPort), '-r', '127.0.0.1',
      '-w', dataDir, '-i', options.host, '-P', String(options.port),
      '-M', '-O', '-Y', '--no-utp', { required: '-er', preferred: '-ep', tolerated: '-et' }[this.init.encryption ?? 'tolerated'], '-C', '--no-incomplete-dir',
      ...(this.init.rpcAuth !== undefined ? ['-t', '-u', this.init.rpcAuth.username, '-v', this.init.rpcAuth.password] : ['-T']),
      process.env.SEEDPAY_TR_DEBUG === '1' ? '--log-debug' : '--log-info', '-e', path.join(this.configDir, 'transmission.log')
    ])
    await waitForClient('transmission-daemon (rpc)', this.proc, async () => { await this.rpc('session-get'); return true }, { timeoutMs: 15_000 })
    this.id = await this.addTorrent(torrentPath, dataDir)
    if (options.trackers !== undefined && options.trackers.length > 0) {
      await this.rpc('torrent-set', { ids: [this.id], trackerAdd: options.trackers })
    }
  }

  /** Adds one more torrent (its data under `dataDir`); returns its Transmission id. */
  async addTorrent (torrentPath: string, dataDir: string): Promise<number> {
    const added = await this.rpc('torrent-add', { filename: torrentPath, 'download-dir': dataDir, paused: false }) as { 'torrent-added'?: { id: number }, 'torrent-duplicate'?: { id: number } }
    const t = added['torrent-added'] ?? added['torrent-duplicate']
    if (t === undefined) throw new Error('transmission did not add the torrent')
    return t.id
  }

  /** Removes a torrent from Transmission, keeping its data. */
  async removeTorrent (id: number): Promise<void> {
    await this.rpc('torrent-remove', { ids: [id], 'delete-local-data': false })
  }

  /** Transmission's own view of a torrent: its state (6 = seeding) and what is left. */
  async torrentState (id: number): Promise<{ status: number, leftUntilDone: number, percentDone: number } | undefined> {
    const r = await this.rpc('torrent-get', { ids: [id], fields: ['status', 'leftUntilDone', 'percentDone'] }) as { torrents: Array<{ status: number, leftUntilDone: number, percentDone: number }> }
    return r.torrents[0]
  }

  /** Ask Transmission to re-announce now (it otherwise waits for the tracker's interval). */
  async reannounce (): Promise<void> {
    await this.rpc('torrent-reannounce', { ids: [this.id] })
  }

  private async rpc (method: string, args: Record<string, unknown> = {}): Promise<unknown> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const auth = this.init.rpcAuth
      const res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'X-Transmission-Session-Id': this.session, 'content-type': 'application/json',
          ...(auth !== undefined ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {})
        },
        body: JSON.stringify({ method, arguments: args }),
        signal: AbortSignal.timeout(5000)
      })
      if (res.status === 409) { this.session = res.headers.get('X-Transmission-Session-Id') ?? ''; continue }
      const body = await res.json() as { result: string, arguments: unknown }
      if (body.result !== 'success') throw new Error(`transmission rpc ${method}: ${body.result}`)
      return body.arguments
    }
    throw new Error(`transmission rpc ${method}: no session id`)
  }

  private async torrent (): Promise<TrTorrent | undefined> {
    const r = await this.rpc('torrent-get', {
      ids: [this.id],
      fields: ['id', 'percentDone', 'status', 'rateDownload', 'rateUpload', 'peersConnected', 'error', 'errorString', 'leftUntilDone', 'haveValid', 'sizeWhenDone']
    }) as { torrents: TrTorrent[] }
    return r.torrents[0]
  }

  async progress (): Promise<ClientProgress> {
    const t = await this.torrent()
    if (t === undefined) return { fraction: 0, complete: false }
    if (t.error === 3) throw new Error(`transmission: ${t.errorString}`) // TR_STAT_LOCAL_ERROR
    const checking = t.status === TR_STATUS_CHECK || t.status === TR_STATUS_CHECK_WAIT
    return {
      fraction: t.sizeWhenDone > 0 ? t.haveValid / t.sizeWhenDone : 0,
      complete: !checking && t.leftUntilDone === 0 && t.haveValid === t.sizeWhenDone,
      downloadRate: t.rateDownload,
      uploadRate: t.rateUpload,
      peers: t.peersConnected
    }
  }

  /** True once Transmission has verified its data and is seeding. */
  async isSeeding (): Promise<boolean> {
    return (await this.torrent())?.status === TR_STATUS_SEED
  }

  async waitForComplete (options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<void> {
    await waitForClient('transmission', this.proc, async () => (await this.progress()).complete, options)
  }

  async stop (): Promise<void> {
    await this.proc?.stop()
    if (this.configDir !== '') await rm(this.configDir, { recursive: true, force: true })
  }

  /** Transmission logs to a file (-e), not to stdout; read its tail. */
  output (): string {
    let log = ''
    try { log = readFileSync(path.join(this.configDir, 'transmission.log'), 'utf8').slice(-8000) } catch { /* not written yet */ }
    return (this.proc?.output() ?? '') + log
  }
}
