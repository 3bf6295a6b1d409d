// Shared by swarm, wire, payment and settle: a neutral home keeps the dependency direction of docs/architecture.md.
import { EventEmitter } from 'node:events'

/** A small typed facade over EventEmitter: one payload object per event, names namespaced (`peer:close`). */
export class TypedEmitter<E extends object> {
  private readonly ee = new EventEmitter({ captureRejections: false })

  constructor () { this.ee.setMaxListeners(64) }

  on<K extends keyof E & string> (name: K, fn: (event: E[K]) => void): this {
    this.ee.on(name, fn)
    return this
  }

  once<K extends keyof E & string> (name: K, fn: (event: E[K]) => void): this {
    this.ee.once(name, fn)
    return this
  }

  off<K extends keyof E & string> (name: K, fn: (event: E[K]) => void): this {
    this.ee.off(name, fn)
    return this
  }

  protected emit<K extends keyof E & string> (name: K, event: E[K]): void {
    this.ee.emit(name, event)
  }

  listenerCount (name: keyof E & string): number { return this.ee.listenerCount(name) }
}
