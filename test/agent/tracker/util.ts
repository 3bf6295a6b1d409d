/** Shared bits for the tracker tests. */
import { randomBytes } from 'node:crypto'
import pino from 'pino'
import type { AnnounceRequest } from '../../../agent/swarm/tracker/index.ts'

export const silentLogger = pino({ level: 'silent' })

export function randomRequest (overrides: Partial<AnnounceRequest> = {}): AnnounceRequest {
  return {
    infoHash: randomBytes(20),
    peerId: randomBytes(20),
    port: 6881,
    uploaded: 0,
    downloaded: 0,
    left: 1000,
    key: 1234,
    ...overrides
  }
}
