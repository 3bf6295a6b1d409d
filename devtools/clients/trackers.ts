/** Trackers for tests: bittorrent-tracker's in-process server and Debian's opentracker binary. */
import { mkdtemp, writeFile, chmod, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import net from 'node:net'
import { once } from 'node:events'
import Server from 'bittorrent-tracker/server'
import { freePort, startProcess, waitFor, type ManagedProcess } from './process.ts'

export interface TestTracker {
  httpUrl: string
  udpUrl: string
  close: () => Promise<void>
}

export interface JsTracker extends TestTracker {
  server: Server
}

/**
 * bittorrent-tracker's server, HTTP and UDP on one port; `intervalMs` is what it tells clients. `port` (both
 * sockets; default any free one each) lets a torrent name the tracker before it runs.
 */
export async function startJsTracker (options: { intervalMs?: number, host?: string, port?: number } = {}): Promise<JsTracker> {
  const host = options.host ?? '127.0.0.1'
  const server = new Server({ interval: options.intervalMs ?? 600_000, ws: false, stats: false })
  server.on('warning', () => {})
  server.on('error', () => {})
  // No IPv6 socket: a CI container without ::1 would fail its bind, and the server's own 'listening' waits
  // for all three sockets. Wait for the two we use instead.
  server.udp6?.close()
  server.udp6 = null
  if (server.http === null || server.udp4 === null) throw new Error('bittorrent-tracker server without http/udp')
  const up = Promise.all([once(server.http, 'listening'), once(server.udp4, 'listening')])
  server.listen({ http: options.port ?? 0, udp: options.port ?? 0 }, { http: host, udp: host })
  await up
  const h = server.http?.address()
  const u = server.udp4?.address()
  if (typeof h !== 'object' || h === null || u === undefined) throw new Error('tracker did not bind')
  return {
    server,
    httpUrl: `http://${host}:${h.port}/announce`,
    udpUrl: `udp://${host}:${u.port}`,
    close: async () => { await new Promise<void>(resolve => { server.close(() => { resolve() }) }) }
  }
}

export interface OpenTracker extends TestTracker {
  proc: ManagedProcess
}

/**
 * Debian's opentracker is built with a whitelist (WANT_ACCESSLIST_WHITE): it refuses every info hash not
 * listed. It chroots to `-d` and drops to `nobody` before reading the list, so the list lives in a
 * world-readable temp dir and is named relative to it.
 */
export async function startOpentracker (infoHashesHex: string[]): Promise<OpenTracker> {
  const dir = await mkdtemp(path.join(tmpdir(), 'seedpay-opentracker-'))
  await chmod(dir, 0o755)
  await writeFile(path.join(dir, 'whitelist'), infoHashesHex.map(h => h.toLowerCase() + '\n').join(''))
  await chmod(path.join(dir, 'whitelist'), 0o644)
  const port = await freePort('127.0.0.1')
  const proc = startProcess('opentracker', 'opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-d', dir, '-w', '/whitelist'], { cwd: dir })
  await waitFor('opentracker to listen', async () => await new Promise<true | undefined>(resolve => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
    s.once('error', () => { resolve(undefined) })
  }), 10_000, 100)
  // opentracker loads the whitelist on a thread of its own after it listens: on a loaded machine its first
  // announces were refused as "not authorized" (a fresh-clone CI run, 3 tests). The probe leaves no peer behind.
  if (infoHashesHex.length > 0) {
    await waitFor('opentracker to load its whitelist', async () => await whitelisted(port, infoHashesHex[0]!), 10_000, 50)
  }
  return {
    proc,
    httpUrl: `http://127.0.0.1:${port}/announce`,
    udpUrl: `udp://127.0.0.1:${port}`,
    close: async () => {
      await proc.stop()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/**
 * Whether opentracker on `port` accepts an announce of `infoHashHex` (it refuses even listed hashes until its
 * whitelist is loaded; a `stopped` announce is never checked, so it cannot tell). The probe peer is removed again
 * with `stopped`, so the swarm the test sees is empty.
 */
async function whitelisted (port: number, infoHashHex: string): Promise<true | undefined> {
  const escape = (b: Buffer): string => [...b].map(x => '%' + x.toString(16).padStart(2, '0')).join('')
  const url = (event: string): string => `http://127.0.0.1:${port}/announce?info_hash=${escape(Buffer.from(infoHashHex, 'hex'))}` +
    `&peer_id=${escape(Buffer.alloc(20, 0x70))}&port=1&uploaded=0&downloaded=0&left=0&compact=1&numwant=0${event}`
  try {
    const res = await fetch(url(''))
    const body = Buffer.from(await res.arrayBuffer()).toString('latin1')
    if (!res.ok || body.includes('failure reason')) return undefined
    await (await fetch(url('&event=stopped'))).arrayBuffer()
    return true
  } catch {
    return undefined
  }
}
