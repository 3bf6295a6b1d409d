/**
 * `seedpay daemon`: many torrents on one port, beside the user's own client. The torrents come from the config
 * file and from the API (`add`, kept in state.json with the config never written); each is served read-only from
 * the user's data, charged through one payment agent (one ledger, one settlement scheduler) or free. Pausing and
 * removing end a torrent's engine; a restart (even after kill -9) brings back every torrent as it was.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Logger } from 'pino'
import { parseTorrentBuffer, PortRouter, type FileTarget, type TorrentMeta } from '../swarm/index.ts'
import type { DaemonPayments } from './payments-view.ts'
import { findSeedData } from '../swarm/index.ts'
import type { DaemonConfig } from './config.ts'
import { DaemonRequestError } from './errors.ts'
import type { DaemonPaths } from './paths.ts'
import { loadState, saveState, type DaemonState } from './state.ts'
import { History } from './history.ts'
import { TorrentSlot, type TorrentPeer, type TorrentSale, type TorrentSource, type TorrentSpec, type TorrentStatus } from './torrent-slot.ts'

export interface DaemonComponents {
  logger: Logger
  /** The payment side built from the config's [payments], or null to seed for free. */
  payments: DaemonPayments | null
}

export interface DaemonInit {
  config: DaemonConfig
  paths: DaemonPaths
}

export interface DaemonStatus {
  pid: number
  listen: string
  startedAt: string
  charging: boolean
  torrents: number
  seeding: number
  peers: number
  uploaded: number
  uploadRate: number
  /** Config torrents that could not even be loaded (their .torrent is missing or invalid), with the reason. */
  unloaded: Array<{ file: string, reason: string }>
}

export interface AddRequest extends Partial<TorrentSale> {
  /** A .torrent file on this machine. */
  file: string
  /** The shared file or directory, or the directory that contains it. */
  data: string
}

/** A torrent an importer (Transmission, the watch folder) wants served, and how it is sold. */
export interface WantedTorrent extends TorrentSale {
  file: string
  data: string
}

export class Daemon {
  private readonly log: Logger
  private readonly router: PortRouter
  private readonly slots = new Map<string, TorrentSlot>()
  private state: DaemonState | null = null
  private readonly unloaded: Array<{ file: string, reason: string }> = []
  private readonly startedAt = new Date()
  /** Changes to the torrent list run one at a time, so two API calls cannot interleave their state writes. */
  private queue: Promise<unknown> = Promise.resolve()
  /** Bytes served over time, for the dashboard. */
  readonly history = new History(() => this.list())

  constructor (private readonly c: DaemonComponents, private readonly init: DaemonInit) {
    this.log = c.logger
    const { host, port } = splitHostPort(init.config.daemon.listen)
    this.router = new PortRouter({ logger: this.log }, { host, port, encryption: init.config.daemon.encryption })
  }

  get listenAddress (): string { return this.router.address }

  /**
   * Listens on the shared port, then starts every torrent not paused. A torrent that cannot be served is kept
   * with its reason (`list` shows it); only the port, the state file or the config stop the start.
   */
  async start (): Promise<void> {
    await mkdir(this.init.paths.torrents, { recursive: true })
    this.state = await loadState(this.init.paths.state)
    await this.router.listen()
    const state = this.state
    const specs: Array<TorrentSpec | { failed: string, file: string }> = []
    for (const t of this.init.config.torrent) specs.push(await this.specFor(t.file, t.data, configuredSale(t), 'config').catch((err: Error) => ({ failed: err.message, file: t.file })))
    for (const t of state.added) specs.push(await this.specFor(t.file, t.data, t, 'api').catch((err: Error) => ({ failed: err.message, file: t.file })))
    const starting: Array<Promise<void>> = []
    for (const spec of specs) {
      if ('failed' in spec) {
        this.log.warn({ file: spec.file, reason: spec.failed }, 'torrent not loaded')
        this.unloaded.push({ file: spec.file, reason: spec.failed })
        continue
      }
      const hash = spec.meta.infoHash
      if (this.slots.has(hash) || (spec.source === 'config' && state.removed.includes(hash))) continue
      const slot = this.slot(spec)
      if (!state.paused.includes(hash)) starting.push(slot.start())
    }
    await Promise.all(starting)
    this.history.start()
  }

  list (): TorrentStatus[] {
    return [...this.slots.values()].map(s => s.status())
  }

  torrent (infoHash: string): TorrentStatus {
    return this.find(infoHash).status()
  }

  /** A torrent's connected peers and who pays for each. */
  peers (infoHash: string): TorrentPeer[] {
    return this.find(infoHash).peers()
  }

  /**
   * One file of a torrent, for the API's stream endpoint: served from the torrent's engine (its data is verified, so
   * every range is answered at once). 404 for a file index it does not have, 409 while it is paused or failed.
   */
  fileTarget (infoHash: string, index: number): FileTarget {
    const slot = this.find(infoHash)
    const meta = slot.spec.meta
    const file = meta.files[index]
    if (file === undefined) throw new DaemonRequestError('not-found', `torrent ${meta.infoHash} has no file ${index} (it has ${meta.files.length}, from 0)`, '`GET /api/v1/torrents/<info hash>` lists its files', 404)
    const engine = slot.running
    if (engine === null) throw new DaemonRequestError('not-serving', `torrent ${meta.infoHash} is not being served (${slot.status().state})`, 'resume it (`seedpay resume <info hash>`), then ask again', 409)
    return { engine, meta, file }
  }

  status (): DaemonStatus {
    const all = this.list()
    return {
      pid: process.pid,
      listen: this.router.address,
      startedAt: this.startedAt.toISOString(),
      charging: this.c.payments !== null,
      torrents: all.length,
      seeding: all.filter(t => t.state === 'seeding').length,
      peers: all.reduce((n, t) => n + t.peers, 0),
      uploaded: all.reduce((n, t) => n + t.uploaded, 0),
      uploadRate: all.reduce((n, t) => n + t.uploadRate, 0),
      unloaded: [...this.unloaded]
    }
  }

  /** Adds a torrent and serves it once its data checks out; refused (nothing kept) if it does not. */
  async add (req: AddRequest): Promise<TorrentStatus> {
    return await this.serial(async () => {
      const source = resolve(req.file)
      const meta = await readMeta(source)
      if (this.slots.has(meta.infoHash)) throw new DaemonRequestError('duplicate', `torrent ${meta.infoHash} ("${meta.name}") is already in the daemon`, 'nothing to do; `seedpay list` shows it', 409)
      const dataDir = await findSeedData(req.data, meta.name)
      if (dataDir === null) throw new DaemonRequestError('bad-data', `${req.data} holds no "${meta.name}"`, `pass the path of "${meta.name}" or of the directory that contains it`, 400)
      const sale = this.checkedSale(req)
      const copy = join(this.init.paths.torrents, `${meta.infoHash}.torrent`)
      await copyFile(source, copy)
      const slot = this.slot({ meta, file: copy, dataDir, ...sale, source: 'api' })
      await slot.start()
      if (slot.state === 'error') {
        this.slots.delete(meta.infoHash)
        throw new DaemonRequestError('bad-data', slot.error ?? 'the data cannot be served', `point data at the file or directory "${meta.name}" was created from`, 400)
      }
      const state = this.mustState()
      state.added = [...state.added.filter(a => a.infoHash !== meta.infoHash), { infoHash: meta.infoHash, file: copy, data: dataDir, ...sale }]
      state.removed = state.removed.filter(h => h !== meta.infoHash)
      state.paused = state.paused.filter(h => h !== meta.infoHash)
      await saveState(this.init.paths.state, state)
      return slot.status()
    })
  }

  /** Stops serving a torrent and forgets it (a config or imported torrent stays removed until it is added again). */
  async remove (infoHash: string): Promise<TorrentStatus> {
    return await this.serial(async () => {
      const slot = this.find(infoHash)
      await slot.stop()
      this.slots.delete(slot.infoHash)
      const state = this.mustState()
      state.added = state.added.filter(a => a.infoHash !== slot.infoHash)
      state.paused = state.paused.filter(h => h !== slot.infoHash)
      if (slot.spec.source !== 'api' && !state.removed.includes(slot.infoHash)) state.removed.push(slot.infoHash)
      await saveState(this.init.paths.state, state)
      return slot.status()
    })
  }

  async pause (infoHash: string): Promise<TorrentStatus> {
    return await this.serial(async () => {
      const slot = this.find(infoHash)
      await slot.stop()
      const state = this.mustState()
      if (!state.paused.includes(slot.infoHash)) state.paused.push(slot.infoHash)
      await saveState(this.init.paths.state, state)
      return slot.status()
    })
  }

  /** Serves a paused torrent again (and retries one in `error`, e.g. once its disk is back). */
  async resume (infoHash: string): Promise<TorrentStatus> {
    return await this.serial(async () => {
      const slot = this.find(infoHash)
      const state = this.mustState()
      state.paused = state.paused.filter(h => h !== slot.infoHash)
      await saveState(this.init.paths.state, state)
      await slot.start()
      return slot.status()
    })
  }

  /**
   * Makes the torrents from `source` (an importer: Transmission) exactly `wanted`: new ones are served once their
   * data checks out, gone ones stop. Not kept in the state file: the importer says again after a restart. A torrent
   * the daemon already has from elsewhere is left as it is. Returns why each wanted torrent that is not served is not.
   */
  async syncSource (source: Exclude<TorrentSource, 'config' | 'api'>, wanted: WantedTorrent[]): Promise<Array<{ file: string, reason: string }>> {
    return await this.serial(async () => {
      const problems: Array<{ file: string, reason: string }> = []
      const keep = new Set<string>()
      const starting: Array<Promise<void>> = []
      for (const w of wanted) {
        let spec: TorrentSpec
        try {
          spec = await this.specFor(w.file, w.data, w, source)
        } catch (err) {
          problems.push({ file: w.file, reason: (err as Error).message })
          continue
        }
        const hash = spec.meta.infoHash
        keep.add(hash)
        const state = this.mustState()
        if (this.slots.has(hash) || state.removed.includes(hash)) continue
        const slot = this.slot(spec)
        if (state.paused.includes(hash)) continue
        starting.push(slot.start().then(() => { if (slot.state === 'error') problems.push({ file: w.file, reason: slot.error ?? 'cannot be served' }) }))
      }
      for (const slot of [...this.slots.values()]) {
        if (slot.spec.source !== source || keep.has(slot.infoHash)) continue
        this.slots.delete(slot.infoHash)
        starting.push(slot.stop())
      }
      await Promise.all(starting)
      return problems
    })
  }

  /** Stops every torrent and the port. The payment side (settling what is owed) is stopped by its owner after this. */
  async stop (): Promise<void> {
    this.history.stop()
    await this.queue.catch(() => undefined)
    await Promise.all([...this.slots.values()].map(async s => { await s.stop() }))
    await this.router.stop()
  }

  private slot (spec: TorrentSpec): TorrentSlot {
    const slot = new TorrentSlot({ logger: this.log, router: this.router, payments: this.c.payments, freeSlots: this.init.config.payments?.['free-slots'] ?? 0 }, spec, this.init.config.daemon['max-peers'])
    this.slots.set(spec.meta.infoHash, slot)
    return slot
  }

  private async specFor (file: string, data: string, sale: TorrentSale, source: TorrentSource): Promise<TorrentSpec> {
    const meta = await readMeta(file)
    const dataDir = await findSeedData(data, meta.name) ?? resolve(data)
    return { meta, file, dataDir, ...saleOf(sale), source }
  }

  /** An add request's terms: a price or free slots are only for a paid torrent of a charging daemon. */
  private checkedSale (req: Partial<TorrentSale>): TorrentSale {
    const sale = saleOf({ ...req, paid: req.paid ?? true })
    const own = sale.price !== undefined ? 'price' : sale.freeSlots !== undefined ? 'freeSlots' : null
    if (own !== null && this.c.payments === null) throw new DaemonRequestError('bad-request', `${own} needs a charging daemon: this one has no [payments] and seeds everything for free`, `leave ${own} out, or add [payments] to the config and restart`, 400)
    if (own !== null && !sale.paid) throw new DaemonRequestError('bad-request', `${own} is set for a free torrent (paid: false)`, `leave ${own} out, or send paid: true`, 400)
    return sale
  }

  private find (infoHash: string): TorrentSlot {
    const slot = this.slots.get(infoHash.toLowerCase())
    if (slot === undefined) throw new DaemonRequestError('not-found', `no torrent ${infoHash} in the daemon`, '`seedpay list` shows the info hashes it has', 404)
    return slot
  }

  private mustState (): DaemonState {
    if (this.state === null) throw new Error('internal: the daemon was not started')
    return this.state
  }

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return await run
  }
}

/** A .torrent file's metainfo; a magnet or an unreadable or invalid file is a `bad-torrent` request error. */
/** A config table's sale ([[torrent]], [watch], [transmission]), in the daemon's words. */
export function configuredSale (t: { paid: boolean, price?: string | undefined, 'free-slots'?: number | undefined }): TorrentSale {
  return saleOf({ paid: t.paid, price: t.price, freeSlots: t['free-slots'] })
}

/** Only the sale's own fields, none undefined (they are written to state.json as they are). */
export function saleOf (s: { paid: boolean, price?: string | undefined, freeSlots?: number | undefined }): TorrentSale {
  return { paid: s.paid, ...(s.price !== undefined ? { price: s.price } : {}), ...(s.freeSlots !== undefined ? { freeSlots: s.freeSlots } : {}) }
}

async function readMeta (file: string): Promise<TorrentMeta> {
  if (file.startsWith('magnet:')) throw new DaemonRequestError('bad-torrent', 'the daemon seeds from .torrent files, not magnet links', 'pass the .torrent file (`seedpay create` makes one from your data)', 400)
  let buf: Buffer
  try {
    buf = await readFile(file)
  } catch (err) {
    throw new DaemonRequestError('bad-torrent', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'pass the path of a .torrent file on the daemon\'s machine', 400)
  }
  try {
    return await parseTorrentBuffer(buf)
  } catch (err) {
    throw new DaemonRequestError('bad-torrent', `${file} is not a valid .torrent (${(err as Error).message})`, 'pass a .torrent file (`seedpay create` makes one)', 400)
  }
}

/** "0.0.0.0:6881" / "[::]:6881" → host and port (the config checked the shape). */
export function splitHostPort (s: string): { host: string, port: number } {
  const i = s.lastIndexOf(':')
  const host = s.slice(0, i).replace(/^\[(.*)\]$/, '$1')
  return { host, port: Number(s.slice(i + 1)) }
}
