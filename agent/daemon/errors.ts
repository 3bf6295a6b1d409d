/** Errors of the daemon: each carries what the CLI prints (the problem, the fix) and an API error code. */

/** The config file is missing, unreadable, not TOML, or a key is wrong; `key` names it (null: the whole file). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor (readonly path: string, readonly key: string | null, detail: string, readonly hint: string) {
    super(`config ${path}${key !== null ? `: ${key}` : ''} ${detail}`)
  }
}

/** Another daemon holds this SEEDPAY_HOME (its pid file names a live process). */
export class DaemonRunningError extends Error {
  override readonly name = 'DaemonRunningError'
  constructor (readonly pidFile: string, readonly pid: number) {
    super(`another seedpay daemon (pid ${pid}) already runs on ${pidFile}`)
  }
}

/** What an API request asked cannot be done; `code` is the API's machine-readable error, `status` its HTTP status. */
export class DaemonRequestError extends Error {
  override readonly name = 'DaemonRequestError'
  constructor (readonly code: 'not-found' | 'duplicate' | 'bad-request' | 'bad-torrent' | 'bad-data' | 'unauthorized' | 'not-serving', message: string, readonly hint: string, readonly status: number) {
    super(message)
  }
}
