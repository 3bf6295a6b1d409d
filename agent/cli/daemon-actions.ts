/** What `seedpay daemon` and `seedpay config init` do (daemon-commands.ts declares them). */
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ApiServer } from '../daemon/api.ts'
import { ensureApiToken } from '../daemon/api-token.ts'
import { configTemplate, defaultConfigPath, loadConfig, type DaemonConfig } from '../daemon/config.ts'
import { configuredSale, Daemon, splitHostPort } from '../daemon/daemon.ts'
import { daemonMetrics } from '../daemon/metrics.ts'
import { ConfigError, DaemonRunningError } from '../daemon/errors.ts'
import { daemonPaths } from '../daemon/paths.ts'
import { acquirePidLock } from '../daemon/pid-lock.ts'
import { TransmissionRpc } from '../daemon/transmission-rpc.ts'
import { TransmissionSync, type TransmissionSyncComponents } from '../daemon/transmission-sync.ts'
import { WatchFolder } from '../daemon/watch-folder.ts'
import { CliError } from './errors.ts'
import { EXIT_BAD_INPUT } from './explain.ts'
import { defaultLogFile } from './log-flags.ts'
import { cliLogger } from './logging.ts'
import { makeReporter } from './output.ts'
import type { PaymentFlags } from './payment-flags.ts'
import { withPayments } from './with-payments.ts'
import { handleStopSignals } from './shutdown.ts'

/** `seedpay daemon [--config <path>]`: runs until SIGINT/SIGTERM, then stops every torrent and settles. */
export async function runDaemon (o: { config?: string, json: boolean }): Promise<void> {
  const configPath = o.config ?? defaultConfigPath()
  const config = await loadConfig(configPath).catch(rethrow)
  const paths = daemonPaths()
  await mkdir(paths.dir, { recursive: true, mode: 0o700 })
  const lock = await acquirePidLock(paths.pid).catch(rethrow)
  const flags = paymentFlags(config, o.json)
  const logger = cliLogger(flags)
  const reporter = makeReporter(o.json)
  try {
    const token = await ensureApiToken(paths.token)
    await withPayments(flags, 'payee', async payments => {
      const payee = payments?.payee ?? null
      const mount = payments?.mount
      const daemon = new Daemon({ logger, payments: payee !== null && mount !== undefined ? { payee, mount } : null }, { config, paths })
      const api = new ApiServer({ logger, daemon, payee, metrics: daemonMetrics(daemon, payee) }, { ...splitHostPort(config.daemon.api), token })
      const stopped = new Promise<string>(resolve => {
        handleStopSignals({
          boundMs: config.daemon['stop-timeout'] * 1000,
          onStop: signal => { reporter.event('stopping', { signal, boundS: config.daemon['stop-timeout'] }); resolve(signal) },
          exitCode: () => 1,
          hint: () => 'receipts are cumulative, nothing is lost: run `seedpay settle` to cash what is outstanding'
        })
      })
      try {
        await daemon.start()
        await api.listen()
      } catch (err) {
        await api.stop()
        await daemon.stop()
        throw listenError(err, config)
      }
      const importing = new AbortController()
      const report = (name: string, fields: Record<string, unknown>): void => { reporter.event(name, fields) }
      const sync = await startTransmissionSync(config, { logger, daemon, report }, importing.signal)
      const watch = config.watch === undefined ? null : new WatchFolder({ logger, daemon, report }, { folder: config.watch.folder, data: config.watch.data, sale: configuredSale(config.watch), pollMs: config.watch.poll * 1000 })
      await watch?.start(importing.signal)
      await writeFile(paths.api, JSON.stringify({ url: api.url, pid: process.pid }) + '\n', { mode: 0o600 })
      const s = daemon.status()
      reporter.event('daemon', { listen: daemon.listenAddress, api: api.url, torrents: s.torrents, seeding: s.seeding, charging: s.charging, config: configPath, token: paths.token })
      for (const t of daemon.list()) {
        if (t.state === 'error') reporter.event('torrent:error', { infoHash: t.infoHash, name: t.name, reason: t.error })
      }
      for (const u of s.unloaded) reporter.event('torrent:error', { file: u.file, reason: u.reason })
      await stopped
      importing.abort()
      await sync?.stopped()
      await watch?.stopped()
      await rm(paths.api, { force: true })
      await api.stop()
      await daemon.stop()
    })
  } finally {
    reporter.close()
    await lock.release()
  }
}

/** With [transmission]: the importer, after its first sync (so the `daemon` line counts what it brought). */
async function startTransmissionSync (c: DaemonConfig, components: Omit<TransmissionSyncComponents, 'rpc'>, signal: AbortSignal): Promise<TransmissionSync | null> {
  const t = c.transmission
  if (t === undefined) return null
  let password = t.password
  if (t['password-file'] !== undefined) {
    const text = await readFile(t['password-file'], 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read transmission.password-file ${t['password-file']!} (${err.code ?? err.message})`, 'point it at a file holding Transmission\'s rpc-password', EXIT_BAD_INPUT)
    })
    password = text.replace(/\r?\n$/, '')
  }
  const rpc = new TransmissionRpc({ url: t.rpc, ...(t.username !== undefined ? { username: t.username } : {}), ...(password !== undefined ? { password } : {}) })
  const sync = new TransmissionSync({ ...components, rpc }, { pollMs: t.poll * 1000, sale: configuredSale(t) })
  await sync.start(signal)
  return sync
}

/** `seedpay config init [--config <path>]`: writes the commented template, never over an existing file. */
export async function configInit (o: { config?: string }): Promise<void> {
  const path = o.config ?? defaultConfigPath()
  await mkdir(dirname(path), { recursive: true })
  try {
    const fh = await open(path, 'wx', 0o600)
    await fh.writeFile(configTemplate())
    await fh.close()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${path} already exists`, 'edit it, or pass --config <another path> to write a fresh one', EXIT_BAD_INPUT)
    throw new CliError(`cannot write ${path}: ${(err as Error).message}`, 'pass --config <a writable path>', EXIT_BAD_INPUT)
  }
  process.stdout.write(`wrote ${path}\n  add [[torrent]] tables (or \`seedpay add\` once it runs), then: seedpay daemon${o.config !== undefined ? ` --config ${path}` : ''}\n`)
}

/** The config's [payments] as the flags of `seedpay seed`, so the daemon charges exactly as `seed` does. */
function paymentFlags (c: DaemonConfig, json: boolean): PaymentFlags {
  const p = c.payments
  const log = { json, logLevel: c.daemon['log-level'], logFile: c.daemon['log-file'] ?? defaultLogFile('daemon') }
  if (p === undefined) return { network: 'local', ...log }
  const opt = <K extends string>(k: K, v: string | number | undefined): Partial<Record<K, string>> => v === undefined ? {} : { [k]: String(v) } as Record<K, string>
  return {
    ...log,
    network: p.network,
    price: p.price,
    freeSlots: String(p['free-slots']),
    settleInterval: String(p['settle-interval']),
    maxStaleness: String(p['max-staleness']),
    ...opt('rpc', p.rpc), ...opt('tron', p.tron), ...opt('escrow', p.escrow), ...opt('keyFile', p['key-file']), ...opt('key', p.key),
    ...opt('passphraseFile', p['passphrase-file']), ...opt('ledger', p.ledger), ...opt('credit', p.credit),
    ...opt('settleThreshold', p['settle-threshold']), ...opt('maxExposure', p['max-exposure']), ...opt('wantLane', p['want-lane'])
  }
}

function listenError (err: unknown, c: DaemonConfig): unknown {
  const code = (err as NodeJS.ErrnoException).code
  const which = (err as { port?: number }).port === splitHostPort(c.daemon.api).port ? ['daemon.api', c.daemon.api] : ['daemon.listen', c.daemon.listen]
  if (code === 'EADDRINUSE') return new CliError(`${which[1]} (${which[0]}) is already in use`, `pick another port for ${which[0]} in the config, or stop what holds it`, EXIT_BAD_INPUT)
  if (code === 'EADDRNOTAVAIL' || code === 'EACCES') return new CliError(`cannot listen on ${which[1]} (${which[0]}): ${code}`, `set ${which[0]} to an address of this machine and a port you may use`, EXIT_BAD_INPUT)
  return rethrow(err)
}

function rethrow (err: unknown): never {
  if (err instanceof ConfigError) throw new CliError(err.message, err.hint, EXIT_BAD_INPUT)
  if (err instanceof DaemonRunningError) throw new CliError(err.message, 'stop it first (`kill <pid>`), or give this one its own SEEDPAY_HOME', 1)
  throw err
}
