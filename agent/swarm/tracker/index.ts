/** Tracker client: HTTP (BEP 3/23/48) and UDP (BEP 15) announce and scrape. */
export { TrackerClient, type TrackerClientInit, type TrackerClientComponents, type TrackerClientEvents, type TrackerPeersEvent, type TrackerErrorEvent, type TrackerResponseEvent, type TrackerStats } from './client.ts'
export { createTransport, type TrackerTransport, type TransportInit } from './transport.ts'
export { httpAnnounce, httpScrape, parseAnnounceResponse, parseScrapeResponse, buildAnnounceUrl, scrapeUrlFor } from './http.ts'
export { UdpTracker, type UdpTrackerInit } from './udp.ts'
export { bdecode, type BValue, type BDict } from './bencode.ts'
export * from './errors.ts'
export type { Peer, AnnounceEvent, AnnounceRequest, AnnounceResponse, ScrapeEntry, ScrapeResponse } from './types.ts'
