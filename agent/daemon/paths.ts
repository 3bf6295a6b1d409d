/** Where the daemon keeps its files, under SEEDPAY_HOME (default ~/.seedpay): one folder, one daemon. */
import { join } from 'node:path'
import { seedpayHome } from '../util/home.ts'

export interface DaemonPaths {
  dir: string
  /** The pid lock (pid-lock.ts). */
  pid: string
  /** The API secret (api-token.ts). */
  token: string
  /** Where the running daemon's API listens, for the CLI: `{ "url": "http://127.0.0.1:7373" }`. */
  api: string
  /** Torrents added, removed and paused over the API, kept across restarts (state.ts). */
  state: string
  /** Copies of the .torrent files added over the API, by info hash: the original may be deleted. */
  torrents: string
}

export function daemonPaths (home: string = seedpayHome()): DaemonPaths {
  const dir = join(home, 'daemon')
  return { dir, pid: join(dir, 'daemon.pid'), token: join(dir, 'api-token'), api: join(dir, 'api.json'), state: join(dir, 'state.json'), torrents: join(dir, 'torrents') }
}
