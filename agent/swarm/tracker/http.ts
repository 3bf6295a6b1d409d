/**
 * HTTP tracker protocol (BEP 3 announce, BEP 23 compact peers, BEP 48 scrape).
 */
import http from 'node:http'
import https from 'node:https'
import { bdecode, bytesToString, isBytes, isDict, keyToBytes, type BDict, type BValue } from './bencode.ts'
import { BencodeError, MalformedResponseError, TrackerFailureError, TrackerTimeoutError, TrackerTransportError } from './errors.ts'
import { decodeCompactIPv4, decodeCompactIPv6, decodeDictPeers } from './peers.ts'
import type { AnnounceRequest, AnnounceResponse, Peer, ScrapeResponse, ScrapeEntry, TransportOptions } from './types.ts'

/** A tracker response is a few KiB at most (200 compact peers = 1.2 KiB); anything far bigger is abuse. */
export const MAX_HTTP_RESPONSE_BYTES = 256 * 1024
/** Give up on an HTTP tracker after this long unless the caller's signal ends sooner. */
export const DEFAULT_HTTP_TIMEOUT_MS = 15_000
export const DEFAULT_NUMWANT = 50
/** Trackers move (http → https, new host); follow a few redirects, never a loop. */
export const MAX_HTTP_REDIRECTS = 3

/** RFC 3986 percent-encoding of raw bytes (info_hash and peer_id are binary, not UTF-8). */
export function percentEncodeBytes (buf: Uint8Array): string {
  let out = ''
  for (const b of buf) {
    const c = String.fromCharCode(b)
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

export function buildAnnounceUrl (announce: string, req: AnnounceRequest): string {
  const params = [
    `info_hash=${percentEncodeBytes(req.infoHash)}`,
    `peer_id=${percentEncodeBytes(req.peerId)}`,
    `port=${req.port}`,
    `uploaded=${req.uploaded}`,
    `downloaded=${req.downloaded}`,
    `left=${req.left}`,
    'compact=1',
    `numwant=${req.numwant ?? DEFAULT_NUMWANT}`,
    `key=${(req.key >>> 0).toString(16)}`
  ]
  if (req.event !== undefined) params.push(`event=${req.event}`)
  if (req.trackerId !== undefined) params.push(`trackerid=${encodeURIComponent(req.trackerId)}`)
  return announce + (announce.includes('?') ? '&' : '?') + params.join('&')
}

/** BEP 48: the scrape URL replaces the last path segment "announce…" with "scrape…"; null if there is none. */
export function scrapeUrlFor (announce: string): string | null {
  const u = new URL(announce)
  const slash = u.pathname.lastIndexOf('/')
  const last = u.pathname.slice(slash + 1)
  if (!last.startsWith('announce')) return null
  u.pathname = u.pathname.slice(0, slash + 1) + 'scrape' + last.slice('announce'.length)
  return u.toString()
}

/** GET `url` and return the body, bounded in size and time. */
export async function httpGet (url: string, options: TransportOptions & { timeoutMs?: number } = {}, redirects = 0): Promise<Uint8Array> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS
  const u = new URL(url)
  const mod = u.protocol === 'https:' ? https : http
  const signals = [AbortSignal.timeout(timeoutMs)]
  if (options.signal !== undefined) signals.push(options.signal)
  const signal = AbortSignal.any(signals)
  return await new Promise<Uint8Array>((resolve, reject) => {
    const req = mod.get(u, { signal, localAddress: options.localAddress, headers: { 'user-agent': 'seedpay' } }, res => {
      const status = res.statusCode ?? 0
      const location = res.headers.location
      if ([301, 302, 303, 307, 308].includes(status) && location !== undefined) {
        res.resume()
        if (redirects >= MAX_HTTP_REDIRECTS) { reject(new TrackerTransportError(url, `more than ${MAX_HTTP_REDIRECTS} redirects`)); return }
        httpGet(new URL(location, u).toString(), options, redirects + 1).then(resolve, reject)
        return
      }
      if (res.statusCode !== 200) {
        res.resume()
        reject(new TrackerTransportError(url, `HTTP status ${res.statusCode ?? '?'}`))
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_HTTP_RESPONSE_BYTES) {
          req.destroy()
          reject(new MalformedResponseError(url, `response larger than ${MAX_HTTP_RESPONSE_BYTES} bytes`))
          return
        }
        chunks.push(chunk)
      })
      res.on('end', () => { resolve(new Uint8Array(Buffer.concat(chunks))) })
      res.on('error', err => { reject(new TrackerTransportError(url, err.message, { cause: err })) })
    })
    req.on('error', err => {
      if (options.signal?.aborted === true) reject(options.signal.reason)
      else if (signal.aborted) reject(new TrackerTimeoutError(url, timeoutMs))
      else reject(new TrackerTransportError(url, err.message, { cause: err }))
    })
  })
}

function decodeDict (url: string, body: Uint8Array): BDict {
  let v: BValue
  try {
    v = bdecode(body)
  } catch (err) {
    if (err instanceof BencodeError) throw new MalformedResponseError(url, `bad bencode: ${err.message}`)
    throw err
  }
  if (!isDict(v)) throw new MalformedResponseError(url, 'top level is not a dictionary')
  const failure = v['failure reason']
  if (failure !== undefined) {
    throw new TrackerFailureError(url, isBytes(failure) ? bytesToString(failure) : '(failure reason is not a string)')
  }
  return v
}

function optionalCount (url: string, d: BDict, key: string): number | undefined {
  const v = d[key]
  if (v === undefined) return undefined
  if (typeof v !== 'number' || v < 0) throw new MalformedResponseError(url, `"${key}" is not a non-negative integer`)
  return v
}

/** Parse a bencoded announce response body; throws TrackerFailureError or MalformedResponseError. */
export function parseAnnounceResponse (url: string, body: Uint8Array): AnnounceResponse {
  const d = decodeDict(url, body)
  const interval = optionalCount(url, d, 'interval')
  if (interval === undefined) throw new MalformedResponseError(url, 'missing "interval"')
  const peers: Peer[] = []
  const raw = d.peers
  if (isBytes(raw)) {
    const p = decodeCompactIPv4(raw)
    if (p === null) throw new MalformedResponseError(url, `compact peers length ${raw.length} is not a multiple of 6`)
    peers.push(...p)
  } else if (Array.isArray(raw)) {
    const p = decodeDictPeers(raw)
    if (typeof p === 'string') throw new MalformedResponseError(url, p)
    peers.push(...p)
  } else if (raw !== undefined) {
    throw new MalformedResponseError(url, '"peers" is neither a string nor a list')
  }
  const raw6 = d.peers6
  if (raw6 !== undefined) {
    if (!isBytes(raw6)) throw new MalformedResponseError(url, '"peers6" is not a string')
    const p = decodeCompactIPv6(raw6)
    if (p === null) throw new MalformedResponseError(url, `peers6 length ${raw6.length} is not a multiple of 18`)
    peers.push(...p)
  }
  const res: AnnounceResponse = { interval, peers }
  const minInterval = optionalCount(url, d, 'min interval')
  if (minInterval !== undefined) res.minInterval = minInterval
  const complete = optionalCount(url, d, 'complete')
  if (complete !== undefined) res.complete = complete
  const incomplete = optionalCount(url, d, 'incomplete')
  if (incomplete !== undefined) res.incomplete = incomplete
  const warning = d['warning message']
  if (isBytes(warning)) res.warning = bytesToString(warning)
  const trackerId = d['tracker id']
  if (isBytes(trackerId)) res.trackerId = bytesToString(trackerId)
  return res
}

export function parseScrapeResponse (url: string, body: Uint8Array): ScrapeResponse {
  const d = decodeDict(url, body)
  const files = d.files
  if (!isDict(files)) throw new MalformedResponseError(url, '"files" is not a dictionary')
  const out: ScrapeResponse = new Map()
  for (const [key, entry] of Object.entries(files)) {
    if (!isDict(entry)) throw new MalformedResponseError(url, 'scrape entry is not a dictionary')
    const s: ScrapeEntry = {
      complete: optionalCount(url, entry, 'complete') ?? 0,
      incomplete: optionalCount(url, entry, 'incomplete') ?? 0,
      downloaded: optionalCount(url, entry, 'downloaded') ?? 0
    }
    let hash = keyToBytes(key)
    // bittorrent-tracker's server (webtorrent's, widely deployed) writes the 20 binary bytes as UTF-8 of
    // their latin1 characters; undo that rather than lose its scrape results.
    if (hash.length !== 20) hash = keyToBytes(Buffer.from(hash).toString('utf8'))
    if (hash.length !== 20) throw new MalformedResponseError(url, `scrape key of ${hash.length} bytes, not 20`)
    out.set(Buffer.from(hash).toString('hex'), s)
  }
  return out
}

export async function httpAnnounce (announce: string, req: AnnounceRequest, options: TransportOptions = {}): Promise<AnnounceResponse> {
  const body = await httpGet(buildAnnounceUrl(announce, req), options)
  return parseAnnounceResponse(announce, body)
}

/** Scrape one or more info hashes; the result is keyed by lower-case hex info hash. */
export async function httpScrape (announce: string, infoHashes: Uint8Array[], options: TransportOptions = {}): Promise<ScrapeResponse> {
  const base = scrapeUrlFor(announce)
  if (base === null) throw new TrackerTransportError(announce, 'tracker has no scrape URL (BEP 48)')
  const url = base + (base.includes('?') ? '&' : '?') + infoHashes.map(h => `info_hash=${percentEncodeBytes(h)}`).join('&')
  const body = await httpGet(url, options)
  return parseScrapeResponse(announce, body)
}
