/** One announce URL → the protocol that speaks to it. */
import { UnsupportedTrackerError } from './errors.ts'
import { httpAnnounce, httpScrape } from './http.ts'
import { UdpTracker } from './udp.ts'
import type { AnnounceRequest, AnnounceResponse, ScrapeResponse } from './types.ts'

export interface TrackerTransport {
  readonly url: string
  announce: (req: AnnounceRequest, options?: { signal?: AbortSignal }) => Promise<AnnounceResponse>
  scrape: (infoHashes: Uint8Array[], options?: { signal?: AbortSignal }) => Promise<ScrapeResponse>
  close: () => void
}

export interface TransportInit {
  localAddress?: string
  /** HTTP request timeout. @default 15000 */
  httpTimeoutMs?: number
  /** BEP 15 first retransmission timeout. @default 15000 */
  udpTimeoutMs?: number
  /** BEP 15 retransmissions. @default 8 */
  udpMaxRetries?: number
}

export function createTransport (url: string, init: TransportInit = {}): TrackerTransport {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase()
  if (scheme === 'http' || scheme === 'https') {
    const opts = { localAddress: init.localAddress, timeoutMs: init.httpTimeoutMs }
    return {
      url,
      announce: async (req, options = {}) => await httpAnnounce(url, req, { ...opts, signal: options.signal }),
      scrape: async (hashes, options = {}) => await httpScrape(url, hashes, { ...opts, signal: options.signal }),
      close: () => {}
    }
  }
  if (scheme === 'udp') {
    const udp = new UdpTracker(url, { localAddress: init.localAddress, timeoutMs: init.udpTimeoutMs, maxRetries: init.udpMaxRetries })
    return {
      url,
      announce: async (req, options = {}) => await udp.announce(req, options),
      scrape: async (hashes, options = {}) => await udp.scrape(hashes, options),
      close: () => { udp.close() }
    }
  }
  throw new UnsupportedTrackerError(url)
}
