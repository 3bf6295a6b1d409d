/**
 * A client of Transmission's RPC (what transmission-remote speaks, docs: transmission's rpc-spec.md): JSON over HTTP
 * POST, with the CSRF handshake Transmission requires (it answers 409 with the `X-Transmission-Session-Id` to send
 * on every later request) and HTTP basic auth when its RPC has a password. Read-only use: the daemon only lists.
 */
export interface TransmissionRpcInit {
  /** e.g. http://127.0.0.1:9091/transmission/rpc */
  url: string
  username?: string
  password?: string
  /** @default 10000 */
  timeoutMs?: number
}

/** The fields the daemon reads of each torrent (`torrent-get`). */
export interface TransmissionTorrent {
  hashString: string
  name: string
  /** 0..1 of what is wanted. */
  percentDone: number
  leftUntilDone: number
  /** tr_torrent_activity: 0 stopped, 1/2 check wait/check, 3/4 download wait/download, 5/6 seed wait/seed. */
  status: number
  /** Transmission's copy of the .torrent (in its config folder). */
  torrentFile: string
  /** Where its data is: `<downloadDir>/<name>`. */
  downloadDir: string
  error: number
  errorString: string
}

const FIELDS = ['hashString', 'name', 'percentDone', 'leftUntilDone', 'status', 'torrentFile', 'downloadDir', 'error', 'errorString']

/** Transmission could not be asked: not running, wrong URL, wrong password, or not Transmission. */
export class TransmissionRpcError extends Error {
  override readonly name = 'TransmissionRpcError'
  constructor (readonly url: string, detail: string, readonly hint: string) {
    super(`Transmission at ${url}: ${detail}`)
  }
}

export class TransmissionRpc {
  private session = ''
  private readonly auth: string | null

  constructor (private readonly init: TransmissionRpcInit) {
    this.auth = init.username !== undefined ? `Basic ${Buffer.from(`${init.username}:${init.password ?? ''}`).toString('base64')}` : null
  }

  get url (): string { return this.init.url }

  /** Every torrent Transmission holds. */
  async torrents (options: { signal?: AbortSignal } = {}): Promise<TransmissionTorrent[]> {
    const args = await this.call('torrent-get', { fields: FIELDS }, options) as { torrents?: unknown }
    if (!Array.isArray(args.torrents)) throw new TransmissionRpcError(this.url, 'torrent-get answered without a torrent list', 'is this the RPC URL of transmission-daemon?')
    return args.torrents as TransmissionTorrent[]
  }

  private async call (method: string, args: Record<string, unknown>, options: { signal?: AbortSignal }): Promise<Record<string, unknown>> {
    // the first request of a session learns the session id from the 409 and is sent again
    for (let attempt = 0; attempt < 2; attempt++) {
      const timeout = AbortSignal.timeout(this.init.timeoutMs ?? 10_000)
      let res: Response
      try {
        res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-transmission-session-id': this.session, ...(this.auth !== null ? { authorization: this.auth } : {}) },
          body: JSON.stringify({ method, arguments: args }),
          signal: options.signal !== undefined ? AbortSignal.any([options.signal, timeout]) : timeout
        })
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name
        throw new TransmissionRpcError(this.url, `cannot connect (${cause})`, 'is transmission-daemon running, with its RPC on this address (transmission.rpc in the config)?')
      }
      if (res.status === 409) {
        this.session = res.headers.get('x-transmission-session-id') ?? ''
        await res.body?.cancel()
        continue
      }
      if (res.status === 401) throw new TransmissionRpcError(this.url, 'refused the username and password (401)', 'set transmission.username and transmission.password(-file) to those of its rpc-username/rpc-password')
      if (res.status === 403) throw new TransmissionRpcError(this.url, 'refused this address (403)', 'add 127.0.0.1 to Transmission\'s rpc-whitelist, or turn rpc-whitelist-enabled off')
      let body: { result?: unknown, arguments?: unknown }
      try {
        body = await res.json() as typeof body
      } catch {
        throw new TransmissionRpcError(this.url, `answered HTTP ${res.status} without JSON`, 'is this the RPC URL of transmission-daemon (…/transmission/rpc)?')
      }
      if (body.result !== 'success') throw new TransmissionRpcError(this.url, `${method} failed: ${String(body.result)}`, 'see Transmission\'s log')
      return (body.arguments ?? {}) as Record<string, unknown>
    }
    throw new TransmissionRpcError(this.url, 'kept answering 409 without a session id', 'is this transmission-daemon?')
  }
}
