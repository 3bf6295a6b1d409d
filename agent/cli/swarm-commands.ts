import { writeFile, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import pino, { type Logger } from 'pino'
import {
  TorrentEngine, loadTorrent, createTorrentFile, magnetFor, parseAddress,
  type TorrentSource, type EngineInit
} from '../swarm/index.ts'
import { formatBtt } from './amounts.ts'
import { CliError } from './errors.ts'
import { makeReporter } from './output.ts'
import { addPaymentOptions, withPayments, type CliPayments, type PaymentFlags } from './payment-options.ts'

/** After the budget is spent, the run ends once nothing more verified for this long (free peers may still serve). */
const BUDGET_STALL_MS = 5_000
const BUDGET_POLL_MS = 500

interface NetOptions { host: string, port: string, peer: string[], tracker: string[], json: boolean, logLevel: string, maxPeers: string }

/** `seedpay create | seed | get`. Thin: parse options, run the engine, report. */
export function registerSwarmCommands (program: Command): void {
  program.command('create')
    .description('make a .torrent from a file or directory')
    .argument('<path>', 'file or directory to share')
    .option('-t, --tracker <url>', 'tracker announce URL (repeatable)', collect, [])
    .option('-o, --output <file>', 'where to write the .torrent (default: <name>.torrent in the current directory)')
    .option('--piece-length <bytes>', 'piece length in bytes (power of two; default chosen from the size)')
    .option('--json', 'print the result as one JSON line', false)
    .action(async (path: string, o: { tracker: string[], output?: string, pieceLength?: string, json: boolean }) => {
      const pieceLength = o.pieceLength === undefined ? undefined : intOption('--piece-length', o.pieceLength, 16384, 64 * 1048576)
      for (const url of o.tracker) checkUrl(url)
      const buf = await createTorrentFile(resolve(path), { announce: o.tracker, ...(pieceLength !== undefined ? { pieceLength } : {}) })
      const source = await loadTorrent(buf)
      if (source.kind !== 'torrent') throw new CliError('internal: created torrent has no metadata', 'report this as a bug')
      const out = o.output ?? `${source.name}.torrent`
      await writeFile(out, buf)
      const result = { torrent: out, infoHash: source.infoHash, name: source.name, length: source.length, pieces: source.pieceCount, pieceLength: source.pieceLength, magnet: magnetFor(source) }
      if (o.json) process.stdout.write(JSON.stringify({ event: 'created', ...result }) + '\n')
      else process.stdout.write(`wrote ${out}\ninfo hash ${result.infoHash}\n${result.pieces} pieces of ${result.pieceLength} bytes, ${result.length} bytes\n${result.magnet}\n`)
    })

  addPaymentOptions(netOptions(program.command('seed')
    .description('serve a torrent whose data you already have; with --price, charge paying peers')
    .argument('<torrent>', '.torrent file or magnet link')
    .requiredOption('-d, --data <path>', 'the shared file or directory, or the directory that contains it')), 'payee')
    .action(async (torrent: string, o: NetOptions & PaymentFlags & { data: string }) => {
      const source = await loadTorrent(torrent)
      if (source.kind !== 'torrent') throw new CliError('seeding needs the .torrent file, not a magnet link', 'pass the .torrent you created with `seedpay create`')
      const dataDir = await seedDataDir(o.data, source.name)
      await withPayments(o, 'payee', async payments => { await runEngine(source, dataDir, o, { seed: true, keepRunning: true, payments }) })
    })

  addPaymentOptions(netOptions(program.command('get')
    .description('download a torrent; exits 0 once every piece is verified; with --max-price, pay seeders that charge')
    .argument('<torrent>', '.torrent file or magnet link')
    .requiredOption('-o, --out <dir>', 'directory to download into (resumes what is already there)')
    .option('--seed', 'keep seeding after the download completes', false)), 'payer')
    .action(async (torrent: string, o: NetOptions & PaymentFlags & { out: string, seed: boolean }) => {
      const source = await loadTorrent(torrent)
      const out = resolve(o.out)
      await withPayments(o, 'payer', async payments => { await runEngine(source, out, o, { seed: o.seed, keepRunning: o.seed, resumeFile: join(out, '.seedpay', `${source.infoHash}.resume`), payments }) })
    })
}

function netOptions (cmd: Command): Command {
  return cmd
    .option('--host <ip>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--peer <host:port>', 'peer to connect to (repeatable)', collect, [])
    .option('-t, --tracker <url>', 'tracker announce URL (repeatable; default: the torrent\'s own)', collect, [])
    .option('--max-peers <n>', 'most connections for this torrent', '50')
    .option('--json', 'print JSON event lines instead of a progress bar', false)
    .addOption(new Option('--log-level <level>', 'log level on stderr').choices(['silent', 'error', 'warn', 'info', 'debug']).default('warn'))
}

async function runEngine (source: TorrentSource, dataDir: string, o: NetOptions, mode: { seed: boolean, keepRunning: boolean, resumeFile?: string, payments: CliPayments | null }): Promise<void> {
  const port = intOption('--port', o.port, 0, 65535)
  const maxPeers = intOption('--max-peers', o.maxPeers, 1, 10000)
  for (const p of o.peer) {
    try { parseAddress(p) } catch { throw new CliError(`--peer "${p}" is not host:port`, 'write it like 127.0.0.1:6881') }
  }
  for (const url of o.tracker) checkUrl(url)
  const logger: Logger = pino({ level: o.logLevel }, pino.destination(2))
  const reporter = makeReporter(o.json)
  const init: EngineInit = {
    torrent: source,
    dataDir,
    host: o.host,
    port,
    peers: o.peer,
    maxPeers,
    seed: mode.seed,
    ...(mode.resumeFile !== undefined ? { resumeFile: mode.resumeFile } : {}),
    ...(o.tracker.length > 0 ? { announce: o.tracker } : {}),
    ...mode.payments?.engineInit
  }
  const engine = new TorrentEngine({ logger }, init)
  mode.payments?.attach(engine)
  const controller = new AbortController()
  let fatal: Error | null = null
  const finished = new Promise<'done' | 'interrupted' | 'failed' | 'budget'>((resolveFinished) => {
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
    const onSignal = (sig: string): void => {
      reporter.event('stopping', { signal: sig })
      resolveFinished('interrupted')
    }
    process.once('SIGINT', () => onSignal('SIGINT'))
    process.once('SIGTERM', () => onSignal('SIGTERM'))
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
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliError(`port ${port} on ${o.host} is already in use`, 'pick another --port, or 0 for any free port')
    if ((err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') throw new CliError(`cannot listen on ${o.host}`, 'pass an address of this machine with --host')
    throw err
  }
  const s = engine.stats()
  reporter.event('listening', { host: o.host, port: engine.port, peerId: engine.peerId, infoHash: engine.infoHash, verifiedBytes: s.verifiedBytes, length: s.length })
  if (mode.seed && mode.keepRunning && source.kind === 'torrent' && s.piecesVerified === 0) {
    await engine.stop()
    reporter.close()
    throw new CliError(`no verified data for "${source.name}" under ${dataDir}`, 'point --data at the file or directory the torrent was created from')
  }
  if (source.kind === 'magnet') {
    // A magnet nobody can resolve would otherwise wait forever: give up with MetadataTimeoutError.
    const gotMeta = engine.waitForMetadata({ signal: controller.signal })
    const outcome = await Promise.race([gotMeta.then(() => null, (err: unknown) => err), finished.then(() => null)])
    if (outcome !== null && !controller.signal.aborted) {
      await engine.stop()
      reporter.close()
      throw outcome
    }
  }
  const how = await finished
  const final = engine.stats()
  controller.abort()
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
  if (how === 'interrupted') {
    process.exitCode = final.done ? 0 : 130
    return
  }
  process.exitCode = final.done ? 0 : 1
}

/** `--data` may name the shared file/dir itself or the directory that contains it. */
async function seedDataDir (data: string, name: string): Promise<string> {
  const p = resolve(data)
  if (await exists(join(p, name))) return p
  if (basename(p) === name && await exists(p)) return dirname(p)
  throw new CliError(`--data ${data} holds no "${name}"`, `pass the path of "${name}" or of the directory that contains it`)
}

async function exists (p: string): Promise<boolean> {
  try { await stat(p); return true } catch { return false }
}

function intOption (flag: string, v: string, min: number, max: number): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag} must be an integer from ${min} to ${max}, got "${v}"`, `fix ${flag}`, 2)
  return n
}

function checkUrl (url: string): void {
  if (!/^(https?|udp):\/\/[^/]+/.test(url)) throw new CliError(`tracker URL "${url}" is not http(s):// or udp://`, 'write it like http://127.0.0.1:8000/announce', 2)
}

function collect (value: string, previous: string[]): string[] { return [...previous, value] }
