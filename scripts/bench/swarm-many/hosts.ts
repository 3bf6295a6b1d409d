/**
 * Where every process of the many-peer benchmarks listens: each on its own loopback address, so trackers, PEX and
 * ban lists see distinct peers (Linux routes all of 127.0.0.0/8 to lo). Tracker 127.0.0.1, seeder 127.0.0.2,
 * swarm leechers from 127.0.0.10, the 200-connection crowd after them.
 */
export const TRACKER_HOST = '127.0.0.1'
export const SEEDER_HOST = '127.0.0.2'
const FIRST_LEECHER = 10

/** The n-th loopback address past 127.0.0.0, skipping .0 and .255 once past the first 250. */
function loopback (n: number): string {
  if (n < 250) return `127.0.0.${n}`
  const k = n - 250
  return `127.0.${1 + Math.floor(k / 250)}.${1 + (k % 250)}`
}

/** Swarm leecher i (0-based): 127.0.0.10 … 127.0.0.29 for 20. */
export function leecherHost (i: number): string {
  return loopback(FIRST_LEECHER + i)
}

/** Crowd peer i, after `leechers` swarm leechers (and at least after 127.0.0.29). */
export function crowdHost (i: number, leechers: number): string {
  return loopback(FIRST_LEECHER + Math.max(leechers, 20) + i)
}
