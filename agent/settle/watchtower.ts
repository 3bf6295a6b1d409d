/**
 * Watches the escrow for `WithdrawalRequested`. A payer that asks for its money back can take it after the
 * withdrawal delay; until then its balance still backs every receipt it signed. The watchtower tells the
 * scheduler at once so our receipts are cashed long before `unlockAt`.
 */
import type { Logger } from 'pino'
import type { EscrowClient, EscrowEvent } from '../chain/index.ts'

/** A TRON block is 3 s; polling faster only repeats empty queries. */
const DEFAULT_POLL_MS = 3_000

export type WithdrawalRequest = Extract<EscrowEvent, { name: 'WithdrawalRequested' }>

export interface WatchtowerComponents {
  logger: Logger
  chain: Pick<EscrowClient, 'eventsSince' | 'blockNumber'>
}

export interface WatchtowerInit {
  /** @default 3000 */
  pollMs?: number
  /** First block to read. @default the chain's newest block when started */
  fromBlock?: number
}

export class Watchtower {
  private readonly log: Logger
  private readonly chain: WatchtowerComponents['chain']
  private readonly pollMs: number
  private next: number | undefined
  private timer: NodeJS.Timeout | null = null
  private polling: Promise<void> | null = null
  private abort: AbortController | null = null

  constructor (components: WatchtowerComponents, init: WatchtowerInit, private readonly onRequest: (event: WithdrawalRequest) => void) {
    this.log = components.logger
    this.chain = components.chain
    this.pollMs = init.pollMs ?? DEFAULT_POLL_MS
    this.next = init.fromBlock
  }

  /** The next block it will read. */
  get cursor (): number | undefined { return this.next }

  async start (options: { signal?: AbortSignal } = {}): Promise<void> {
    this.abort = new AbortController()
    // the current block is read again: a request mined just before start is not missed (settling twice is harmless)
    this.next ??= await this.chain.blockNumber(options)
    this.schedule()
  }

  /** Reads new blocks once; resolves after every request found was handed on. */
  async poll (options: { signal?: AbortSignal } = {}): Promise<void> {
    this.polling ??= (async () => {
      try {
        const from = this.next ?? 0
        const page = await this.chain.eventsSince(from, options)
        for (const e of page.events) {
          if (e.name === 'WithdrawalRequested') this.onRequest(e)
        }
        this.next = Math.max(from, page.toBlock + 1)
      } finally {
        this.polling = null
      }
    })()
    await this.polling
  }

  async stop (): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.abort?.abort()
    this.abort = null
    await this.polling?.catch(() => undefined)
  }

  private schedule (): void {
    const signal = this.abort?.signal
    if (signal === undefined || signal.aborted) return
    this.timer = setTimeout(() => {
      this.poll({ signal })
        .catch(err => { if (!signal.aborted) this.log.warn({ err }, 'watchtower poll failed; retrying') })
        .finally(() => { this.schedule() })
    }, this.pollMs)
    this.timer.unref()
  }
}
