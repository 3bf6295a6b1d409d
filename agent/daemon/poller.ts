/**
 * The importers' loop (watch folder, Transmission): one pass now, then the next `everyMs` after each pass ends (never
 * two at once, however slow a pass is), until the signal aborts; `stopped()` waits for a pass in progress.
 */
export class Poller {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null

  constructor (private readonly pass: () => Promise<void>, private readonly everyMs: number) {}

  /** Resolves once the first pass is done. */
  async start (signal: AbortSignal): Promise<void> {
    await this.pass()
    const tick = (): void => {
      if (signal.aborted) return
      this.running = this.pass().finally(() => {
        this.running = null
        if (!signal.aborted) this.timer = setTimeout(tick, this.everyMs)
      })
    }
    this.timer = setTimeout(tick, this.everyMs)
    signal.addEventListener('abort', () => { if (this.timer !== null) clearTimeout(this.timer) }, { once: true })
  }

  async stopped (): Promise<void> { await this.running }
}
