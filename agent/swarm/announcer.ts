import type { Logger } from 'pino'
import { TrackerClient, type TrackerStats } from './tracker/index.ts'
import { formatAddress } from './address.ts'

export interface AnnouncerInit {
  announce: string[]
  infoHash: string
  peerId: string
  port: number
  /** Our listen address; trackers record the source address, so announces go out from it. */
  host: string
  stats: () => TrackerStats
  onPeer(address: string): void
  /** Already complete at start: send `completed` right after `started`. */
  completed: boolean
  signal?: AbortSignal
}

/** Start the tracker client (agent/swarm/tracker) for one torrent and feed the peers it learns to the dialler. */
export function startAnnouncer (components: { logger: Logger }, init: AnnouncerInit): TrackerClient {
  const log = components.logger
  const tracker = new TrackerClient({ logger: log }, {
    announce: init.announce,
    infoHash: init.infoHash,
    peerId: init.peerId,
    port: init.port,
    localAddress: init.host,
    getStats: init.stats
  })
  tracker.on('tracker:peers', ({ peers }) => { for (const p of peers) init.onPeer(formatAddress(p.host, p.port)) })
  tracker.on('tracker:error', ({ url, error }) => log.warn({ url, err: error.message }, 'tracker announce failed'))
  tracker.start(init.signal !== undefined ? { signal: init.signal } : {}).catch((err: Error) => log.error({ err }, 'tracker start failed'))
  if (init.completed) tracker.completed()
  return tracker
}
