/** Runs one torrent's engine for `seed` and `get` until it is done, interrupted or fails, and reports. */
import type { Logger } from 'pino'
import { TorrentEngine, parseAddress, type TorrentSource, type EngineInit } from '../swarm/index.ts'
import { formatBtt } from './amounts.ts'
import { CliError } from './errors.ts'
import { EXIT_BAD_INPUT } from './explain.ts'
import { checkUrl, intOption } from './flags.ts'
import { cliLogger } from './logging.ts'
import { encryptionOption, listenHost, type NetOptions } from './net-options.ts'
import { makeReporter, type Reporter } from './output.ts'
import type { CliPayments } from './payment-options.ts'
import type { Discovery } from './discovery-options.ts'
import { makeOutDir } from './out-dir.ts'
import { handleStopSignals } from './shutdown.ts'
import { DEFAULT_STALL_AFTER_MS, type StallReason } from './stall.ts'
import { StallWatch } from './stall-watch.ts'

/** After the budget is spent, the run ends once nothing more verified for this long (free peers may still serve). */
const BUDGET_STALL_MS = 5_000
const BUDGET_POLL_MS = 500

export interface RunMode {
  seed: boolean
  keepRunning: boolean
  resumeFile?: string
  /** `seed` without --repair: never write into the data (EngineInit.readOnly). */
  readOnly?: boolean
  /** Hash the data even if the resume file says it is unchanged. */
  recheck?: boolean
  /** Runs once the engine listens; a throw (CliError) stops the run, e.g. `seed` with no verified data. */
  afterStart?: (engine: TorrentEngine) => void
  /**
   * Starts something that serves from the engine once it listens (`stream`'s HTTP server); a throw (CliError) stops
   * the run. The function it resolves to is awaited before the engine stops, however the run ends.
   */
  serve?: (engine: TorrentEngine) => Promise<() => Promise<void>>
  payments: CliPayments | null
  /** The DHT node and LSD this process runs (started by the caller, shared with a magnet's metadata fetch). */
  discovery?: Discovery
}

export async function runEngine (source: TorrentSource, dataDir: string, o: NetOptions, mode: RunMode): Promise<void> {
  const port = intOption('--port', o.port, 0, 65535)
  const host = listenHost(o)
  const maxPeers = intOption('--max-peers', o.maxPeers, 1, 10000)
  const encryption = encryptionOption(o)
  for (const p of o.peer) {
    try { parseAddress(p) } catch { throw new CliError(`--peer "${p}" is not host:port`, 'write it like 127.0.0.1:6881', 2) }
  }
  for (const url of o.tracker) checkUrl(url)
  const stallTimeoutS = o.stallTimeout === undefined ? null : intOption('--stall-timeout', o.stallTimeout, 1, 86400 * 365)
  const stopTimeoutS = intOption('--stop-timeout', o.stopTimeout, 1, 3600)
  // A download's directory, made here so a path that cannot be made fails at once (a seed's data exists).
  if (mode.readOnly !== true) await makeOutDir(mode.seed && mode.keepRunning ? '--data' : '--out', dataDir, source.kind === 'torrent' ? source.files.map(f => f.path) : [])
  const logger: Logger = cliLogger(o)
  const reporter = makeReporter(o.json)
  const init: EngineInit = {
    torrent: source,
    dataDir,
    host,
    port,
    peers: o.peer,
    maxPeers,
    encryption,
    seed: mode.seed,
    ...(mode.resumeFile !== undefined ? { resumeFile: mode.resumeFile } : {}),
    ...(mode.readOnly === true ? { readOnly: true } : {}),
    ...(mode.recheck === true ? { recheck: true } : {}),
    ...(o.tracker.length > 0 ? { announce: o.tracker } : {}),
    ...(mode.discovery?.dht != null ? { dht: mode.discovery.dht } : {}),
    ...(mode.discovery?.lsd != null ? { lsd: mode.discovery.lsd } : {}),
    ...mode.payments?.engineInit
  }
  const engine = new TorrentEngine({ logger }, init)
  mode.payments?.attach(engine)
  const controller = new AbortController()
  let fatal: Error | null = null
  let stallWatch: StallWatch | null = null
  let resolveStalled: (() => void) | null = null
  const finished = new Promise<'done' | 'interrupted' | 'failed' | 'budget' | 'stalled'>((resolveFinished) => {
    resolveStalled = () => { resolveFinished('stalled') }
    // A spent budget stops only the charging peers: the run ends once free peers bring nothing more either.
    mode.payments?.budgetSpent?.then(() => {
      let last = -1
      let still = 0
      const timer = setInterval(() => {
        const v = engine.stats().verifiedBytes
        still = v === last ? still + 1 : 0
        last = v
        if (still * BUDGET_POLL_MS >= BUDGET_STALL_MS) { clearInterval(timer); resolveFinished('budget') }
      }, BUDGET_POLL_MS)
      timer.unref()
      void finished.then(() => { clearInterval(timer) })
    }).catch(() => undefined)
    // A disk error (full, removed, read-only) stops the run: waiting would never finish.
    engine.on('engine:error', ({ error }) => {
      fatal = error
      resolveFinished('failed')
    })
    // A stop that hangs (a stuck disk, a chain node that does not answer the settlement) ends after a bound.
    handleStopSignals({
      boundMs: stopTimeoutS * 1000,
      onStop: sig => {
        reporter.event('stopping', { signal: sig, boundS: stopTimeoutS })
        resolveFinished('interrupted')
      },
      // A read-only seed counts as seeding (it never downloads) even with pieces missing.
      exitCode: () => (mode.payments !== null && mode.seed && mode.keepRunning && (engine.isDone || mode.readOnly === true) ? 1 : engine.isDone || mode.readOnly === true ? 0 : 130),
      hint: () => mode.payments !== null && mode.seed
        ? 'receipts are cumulative, nothing is lost: run `seedpay settle` to cash what is outstanding'
        : 'what was verified is on disk: run the same command again to resume'
    })
    engine.on('done', (s) => {
      reporter.progress(s)
      reporter.event('done', { verifiedBytes: s.verifiedBytes, pieces: s.pieceCount })
      if (!mode.keepRunning) resolveFinished('done')
    })
  })
  engine.on('progress', (s) => reporter.progress(s))
  engine.on('peer:connect', (p) => reporter.event('peer:connect', { ...p }))
  engine.on('peer:close', (p) => reporter.event('peer:close', { ...p }))
  engine.on('peer:banned', (p) => reporter.event('peer:banned', { ...p }))
  engine.on('piece:corrupt', (p) => reporter.event('piece:corrupt', { ...p }))
  engine.on('metadata', ({ meta }) => reporter.event('metadata', { name: meta.name, length: meta.length, pieces: meta.pieceCount }))
  try {
    await engine.start({ signal: controller.signal })
  } catch (err) {
    reporter.close()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliError(`port ${port} on ${host} is already in use`, 'pick another --port, or 0 for any free port', EXIT_BAD_INPUT)
    if ((err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') throw new CliError(`cannot listen on ${host}`, 'pass an address of this machine with --host', EXIT_BAD_INPUT)
    throw err
  }
  const s = engine.stats()
  reporter.event('listening', { host, port: engine.port, peerId: engine.peerId, infoHash: engine.infoHash, verifiedBytes: s.verifiedBytes, length: s.length, ...(engine.resumeSource !== null ? { resume: engine.resumeSource } : {}), ...(mode.discovery?.dht != null ? { dhtPort: mode.discovery.dht.port } : {}) })
  let unserve: () => Promise<void> = async () => {}
  try {
    mode.afterStart?.(engine)
    if (mode.serve !== undefined) unserve = await mode.serve(engine)
  } catch (err) {
    await engine.stop()
    reporter.close()
    throw err
  }
  // A read-only seed never downloads: missing pieces are not a stalled download.
  if (!engine.isDone && mode.readOnly !== true) {
    const stallAfterMs = Math.min(DEFAULT_STALL_AFTER_MS, stallTimeoutS === null ? Infinity : stallTimeoutS * 1000)
    const watch = new StallWatch({
      engine,
      payments: mode.payments?.events ?? null,
      maxPricePerMiB: mode.payments?.maxPricePerMiB ?? null,
      trackers: o.tracker.length > 0 ? o.tracker.length : source.announce.length,
      directPeers: o.peer.length + (source.kind === 'magnet' ? source.peers.length : 0),
      discovery: mode.discovery?.names ?? [],
      magnet: source.kind === 'magnet',
      stallAfterMs,
      onStall: reason => { reportStall(reason, o.json, reporter) }
    })
    stallWatch = watch
    if (stallTimeoutS !== null) {
      engine.on('progress', () => { if (watch.stalledForMs() >= stallTimeoutS * 1000) resolveStalled?.() })
    }
    engine.on('done', () => { watch.stop() })
  }
  if (source.kind === 'magnet') {
    // A magnet nobody can resolve would otherwise wait forever: give up with MetadataTimeoutError.
    const gotMeta = engine.waitForMetadata({ signal: controller.signal })
    const outcome = await Promise.race([gotMeta.then(() => null, (err: unknown) => err), finished.then(() => null)])
    if (outcome !== null && !controller.signal.aborted) {
      await unserve()
      await engine.stop()
      reporter.close()
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows waitForMetadata's rejection as it came
      throw outcome
    }
  }
  const how = await finished
  const final = engine.stats()
  const stalled: StallReason | null = how === 'stalled' ? stallWatch?.reason() ?? null : null
  stallWatch?.stop()
  controller.abort()
  await unserve()
  await engine.stop()
  const ru = process.resourceUsage()
  // Lets benchmarks read the agent's own CPU time and peak RSS without sampling /proc.
  reporter.event('exit', { verifiedBytes: final.verifiedBytes, done: final.done, downloaded: final.downloaded, uploaded: final.uploaded, cpuUserMs: Math.round(ru.userCPUTime / 1000), cpuSystemMs: Math.round(ru.systemCPUTime / 1000), maxRssMiB: Math.round(ru.maxRSS / 1024) })
  reporter.close()
  if (how === 'failed' && fatal !== null) {
    throw new CliError(`stopped: ${(fatal as Error).message}`, 'check the disk under --out/--data (space, permissions), then run the same command again to resume')
  }
  if (how === 'budget' && !final.done) {
    const spent = mode.payments!.spend!()
    const mib = (n: number): string => (n / 1048576).toFixed(1)
    throw new CliError(
      `your budget is spent: signed ${formatBtt(spent.spent)} BTT this run${spent.cap !== null ? ` (--budget ${formatBtt(spent.cap)})` : ' (all your escrow balance and lanes cover)'}; ${mib(final.verifiedBytes)} of ${mib(final.length)} MiB verified`,
      'raise --budget, or deposit more with `seedpay deposit`, then run the same command again: the download resumes', 3)
  }
  if (how === 'stalled' && !final.done) {
    throw new CliError(`stalled: ${stalled?.message ?? `nothing verified for ${o.stallTimeout ?? '?'} s`} (--stall-timeout ${o.stallTimeout ?? '?'})`,
      `${stalled?.hint ?? 'add peers with --peer'}; then run the same command again: the download resumes`, 4)
  }
  if (how === 'interrupted') {
    process.exitCode = final.done || mode.readOnly === true ? 0 : 130
    return
  }
  process.exitCode = final.done ? 0 : 1
}

/** One line on stderr for a person (unless --json), a `stalled` event for machines (whenever JSON lines are printed). */
function reportStall (reason: StallReason, json: boolean, reporter: Reporter): void {
  if (!json) process.stderr.write(`${process.stderr.isTTY === true ? '\r\x1b[K' : ''}stalled: ${reason.message} — ${reason.hint}\n`)
  if (json || process.stderr.isTTY !== true) reporter.event('stalled', { code: reason.code, reason: reason.message, hint: reason.hint, peers: reason.peers })
}

