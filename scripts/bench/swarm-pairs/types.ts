/** One sender→receiver pair in the swarm benchmark. Files named `*.ts` in this folder (except this one) are pairs. */
export interface SwarmPair {
  name: string
  /** Transfer the torrent from a seeder holding `dataPath` to a fresh downloader; resolve when verified. */
  run(torrentPath: string, dataPath: string): Promise<PairResult>
}

export interface PairResult {
  /** Payload megabytes (10^6 bytes) per second, from the downloader's start of transfer to completion. */
  mbps: number
  seconds: number
  /** Anything else the pair measured (CPU, RSS, ...). */
  [extra: string]: unknown
}
