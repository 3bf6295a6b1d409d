/**
 * `seedpay status | list | add | remove | pause | resume`: one request each to the running daemon's API, with the
 * token from its token file. A daemon that is not running, an API error, a missing token: one line and a hint.
 */
import { readFile } from 'node:fs/promises'
import { request, type IncomingMessage } from 'node:http'
import { resolve } from 'node:path'
import { readApiToken } from '../daemon/api-token.ts'
import { daemonPaths } from '../daemon/paths.ts'
import type { DaemonStatus } from '../daemon/daemon.ts'
import type { TorrentStatus } from '../daemon/torrent-slot.ts'
import { parseBtt } from './amounts.ts'
import type { AddFlags, ClientFlags } from './daemon-commands.ts'
import { CliError } from './errors.ts'
import { EXIT_BAD_INPUT } from './explain.ts'
import { bytesText } from './event-text.ts'
import { intOption } from './flags.ts'

const API_TIMEOUT_MS = 30_000

export async function status (o: ClientFlags & { wait?: string }): Promise<void> {
  const waitS = o.wait === undefined ? 0 : intOption('--wait', o.wait, 0, 3600)
  const deadline = Date.now() + waitS * 1000
  let s: DaemonStatus
  for (;;) {
    try {
      s = await call<DaemonStatus>(o, 'GET', '/api/v1/status')
      break
    } catch (err) {
      // not up yet (no api.json, or nothing listening): a daemon that is starting answers within moments
      if (!(err instanceof CliError) || err.exitCode !== 1 || Date.now() >= deadline || !/no seedpay daemon|cannot reach/.test(err.message)) throw err
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  }
  print(o, s, () => `seedpay daemon (pid ${s.pid}) on ${s.listen} since ${s.startedAt}: ${s.seeding} of ${s.torrents} torrents seeding, ${s.peers} peers, ${bytesText(s.uploaded)} uploaded (${bytesText(s.uploadRate)}/s)${s.charging ? ', charging paying peers' : ', free'}` +
    s.unloaded.map(u => `\nnot loaded: ${u.file}: ${u.reason}`).join(''))
}

export async function list (o: ClientFlags): Promise<void> {
  const { torrents } = await call<{ torrents: TorrentStatus[] }>(o, 'GET', '/api/v1/torrents')
  print(o, { torrents }, () => torrents.length === 0
    ? 'no torrents (add one with `seedpay add <file.torrent> --data <path>`)'
    : torrents.map(line).join('\n'))
}

export async function add (torrent: string, o: AddFlags): Promise<void> {
  if (o.free && (o.price !== undefined || o.freeSlots !== undefined)) throw new CliError(`--free gives the torrent away: --${o.price !== undefined ? 'price' : 'free-slots'} has nothing to do`, 'pass --free, or --price / --free-slots, not both', EXIT_BAD_INPUT)
  // checked here for the one clear line; the daemon checks again (the API has other callers)
  if (o.price !== undefined) parseBtt('--price', o.price)
  const freeSlots = o.freeSlots === undefined ? undefined : intOption('--free-slots', o.freeSlots, 0, 100)
  // the daemon reads the files: give it absolute paths, as this shell means them
  const t = await call<TorrentStatus>(o, 'POST', '/api/v1/torrents', {
    file: resolve(torrent), data: resolve(o.data), paid: !o.free,
    ...(o.price !== undefined ? { price: o.price.trim() } : {}), ...(freeSlots !== undefined ? { freeSlots } : {})
  })
  print(o, t, () => `added ${line(t)}`)
}

export async function change (action: 'remove' | 'pause' | 'resume', hash: string, o: ClientFlags): Promise<void> {
  if (!/^[0-9a-fA-F]{40}$/.test(hash)) throw new CliError(`"${hash}" is not an info hash`, 'give the 40 hex digits `seedpay list` shows', EXIT_BAD_INPUT)
  const t = action === 'remove'
    ? await call<TorrentStatus>(o, 'DELETE', `/api/v1/torrents/${hash}`)
    : await call<TorrentStatus>(o, 'POST', `/api/v1/torrents/${hash}/${action}`)
  print(o, t, () => `${action === 'remove' ? 'removed' : action === 'pause' ? 'paused' : 'resumed'} ${line(t)}`)
}

/** The dashboard's address with the token: opening it logs the browser in (a cookie) and drops the token from the URL. */
export async function dashboard (o: ClientFlags): Promise<void> {
  const base = await apiUrl(o)
  const token = await readApiToken(daemonPaths().token)
  if (token === null) throw new CliError(`no API token in ${daemonPaths().token}`, 'start `seedpay daemon` once (it writes the token), or run this as the user who runs it', 1)
  const url = `${base}/?token=${token}`
  print(o, { url }, () => `${url}\n  open it in a browser on this machine; it holds the API token, so do not share it`)
}

function line (t: TorrentStatus): string {
  const state = t.state === 'error' ? `error: ${t.error ?? '?'}` : t.state
  return `${t.infoHash}  ${t.name}  ${bytesText(t.length)}  ${state}  ${t.pricePerMiB !== null ? `${t.pricePerMiB} BTT/MiB` : 'free'}  ${t.peers} peers  ${bytesText(t.uploaded)} up${t.pricePerMiB !== null ? `, earned ${t.earned} BTT` : ''}`
}

function print (o: ClientFlags, value: unknown, text: () => string): void {
  process.stdout.write((o.json ? JSON.stringify(value) : text()) + '\n')
}

/** Where the daemon listens: --api, else what the daemon under SEEDPAY_HOME wrote when it started. */
async function apiUrl (o: ClientFlags): Promise<string> {
  if (o.api !== undefined) {
    try { return new URL(o.api).origin } catch { throw new CliError(`--api "${o.api}" is not a URL`, 'write it like http://127.0.0.1:7373', EXIT_BAD_INPUT) }
  }
  const file = daemonPaths().api
  const text = await readFile(file, 'utf8').catch(() => null)
  const url = text === null ? undefined : (JSON.parse(text) as { url?: unknown }).url
  if (typeof url !== 'string') throw new CliError(`no seedpay daemon is running here (no ${file})`, 'start one with `seedpay daemon`, or pass --api <url> of one that runs elsewhere', 1)
  return url
}

async function call<T> (o: ClientFlags, method: string, path: string, body?: unknown): Promise<T> {
  const base = await apiUrl(o)
  const tokenFile = daemonPaths().token
  const token = await readApiToken(tokenFile)
  if (token === null) throw new CliError(`no API token in ${tokenFile}`, 'the daemon writes it at its first start: start `seedpay daemon`, or run this as the user who runs it', 1)
  const payload = body === undefined ? undefined : JSON.stringify(body)
  let res: { status: number, json: unknown }
  try {
    res = await send(new URL(path, base), method, token, payload)
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw new CliError(`cannot reach the seedpay daemon at ${base}: ${why}`, 'is it running? start it with `seedpay daemon` (a stale daemon/api.json is rewritten when it starts)', 1)
  }
  if (res.status === 200) return res.json as T
  const e = (res.json as { error?: { code?: string, message?: string, hint?: string } } | null)?.error
  const code = e?.code ?? 'unknown'
  throw new CliError(e?.message ?? `the daemon answered HTTP ${res.status}`, e?.hint ?? 'see the daemon\'s log', ['bad-request', 'bad-torrent', 'bad-data', 'not-found'].includes(code) ? EXIT_BAD_INPUT : 1)
}

async function send (url: URL, method: string, token: string, payload: string | undefined): Promise<{ status: number, json: unknown }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      timeout: API_TIMEOUT_MS,
      headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) }
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        let json: unknown = null
        try { json = JSON.parse(Buffer.concat(chunks).toString('utf8')) } catch { json = null }
        resolve({ status: res.statusCode ?? 0, json })
      })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error(`no answer within ${API_TIMEOUT_MS / 1000} s`)) })
    req.on('error', reject)
    req.end(payload)
  })
}
