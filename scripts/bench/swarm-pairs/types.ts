/** One sender→receiver pair in the swarm benchmark. Files named `*.ts` in this folder (except this one) are pairs. */
export interface SwarmPair {
  name: string
  /** Transfer the torrent from a seeder holding `dataPath` to a fresh downloader; resolve when verified. */
  run(torrentPath: string, dataPath: string): Promise<PairResult>
  /**
   * Whole-process mode (`bench:swarm -- --process`): the same transfer, with the downloader timed as a
   * process from spawn to exit, start-up and shut-down included, the way a user waits for it. The seeder is
   * up and has checked its data before the clock starts. Pairs without it are left out of that mode.
   */
  runProcess?(torrentPath: string, dataPath: string): Promise<PairResult>
}

export interface PairResult {
  /** Payload megabytes (10^6 bytes) per second, from the downloader's start of transfer (or its spawn) to completion (or its exit). */
  mbps: number
  seconds: number
  /** Anything else the pair measured (CPU, RSS, ...). */
  [extra: string]: unknown
}
