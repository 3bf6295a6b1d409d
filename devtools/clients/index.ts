/** Harnesses that drive real Debian BitTorrent clients in tests and benchmarks. */
export { Aria2Client, type Aria2Init } from './aria2.ts'
export { TransmissionClient } from './transmission.ts'
export { LibtorrentClient, SYSTEM_PYTHON, LT_SCRIPT, type LibtorrentInit, type LibtorrentUsage } from './libtorrent.ts'
export { LtCrowd, LT_CROWD_SCRIPT, type LtCrowdInit, type CrowdUsage } from './lt-crowd.ts'
export { makeTestTorrent, sha256File, NO_TRACKER, type TestTorrent, type MakeTorrentOptions } from './fixtures.ts'
export { startJsTracker, startOpentracker, type JsTracker, type OpenTracker, type TestTracker } from './trackers.ts'
export { startProcess, stopAllProcesses, freePort, sleep, waitFor, type ManagedProcess } from './process.ts'
export type { BitTorrentClient, ClientProgress, ClientStartOptions, PeerAddress } from './types.ts'
