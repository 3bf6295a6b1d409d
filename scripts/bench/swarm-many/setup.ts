/** What every swarm shape of one benchmark run shares: the torrent, the seeder's data, the chain, a fresh tracker. */
import { fileURLToPath } from 'node:url'
import { startJsTracker, waitFor, type JsTracker } from '../../../devtools/clients/index.ts'
import type { CliChain } from '../../../devtools/chain/cli-chain.ts'
import type { Children } from './children.ts'
import { TRACKER_HOST } from './hosts.ts'

export const LOOP_MONITOR = fileURLToPath(new URL('../../../devtools/bench/loop-monitor.mjs', import.meta.url))

export interface SwarmSetup {
  /** This benchmark's temp folder. */
  root: string
  /** The torrent; its announce URL is `trackerUrl`. */
  torrent: string
  infoHash: string
  /** The folder holding the complete file (the seeder's `--data` / save path). */
  data: string
  bytes: number
  leechers: number
  trackerPort: number
  timeoutMs: number
  children: Children
  /**
   * The paid shape's chain, payee key file and one funded payer key file per leecher; null without the paid shape.
   * `paidBytes`: each payer's cumulative receipt bytes to the seeder so far (receipts are cumulative across runs).
   */
  paid: { chain: CliChain, payeeKey: string, payerKeys: string[], paidBytes: number[] } | null
}

/** The node flag that loads the event-loop monitor into a child, writing its summary to `out` on exit. */
export function loopMonitorFlag (out: string): string {
  return `--import=file://${LOOP_MONITOR}?out=${encodeURIComponent(out)}`
}

/**
 * A fresh tracker for one run (no peers left over from the last), on the port the torrent names. Resolves once
 * it holds a complete peer, i.e. the seeder announced, so no leecher asks before the seeder is listed.
 */
export async function startRunTracker (port: number): Promise<JsTracker> {
  return await startJsTracker({ intervalMs: 60_000, port, host: TRACKER_HOST })
}

export async function seederListed (tracker: JsTracker, infoHash: string, timeoutMs = 30_000): Promise<void> {
  await waitFor('the seeder to announce', () => (tracker.server.torrents[infoHash]?.complete ?? 0) >= 1 ? true : undefined, timeoutMs, 50)
}

export function trackerUrl (port: number): string {
  return `http://${TRACKER_HOST}:${port}/announce`
}
