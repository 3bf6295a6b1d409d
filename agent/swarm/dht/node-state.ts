/**
 * The DHT's node id and routing table, kept across runs in `<SEEDPAY_HOME>/dht/node.json` (BEP 5: a node should
 * keep its id; its contacts let the next start skip the public bootstrap routers). One process holds it at a time
 * (`node.lock` with its pid): a second agent on the machine runs with a fresh id and saves nothing, so two agents
 * never present one id from two ports.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/** Contacts kept: a full table is ~160 buckets × 8; the closest few hundred are what a restart needs. */
const MAX_SAVED_NODES = 400

export interface SavedNode { host: string, port: number }
export interface NodeState { id: Uint8Array, nodes: SavedNode[], owned: boolean }

export class NodeStateFile {
  private readonly file: string
  private readonly lock: string
  private owned = false

  constructor (dir: string) {
    this.file = join(dir, 'node.json')
    this.lock = join(dir, 'node.lock')
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  }

  /** Take the lock and read what was saved; without the lock, a fresh id and no contacts. */
  load (): NodeState {
    this.owned = this.takeLock()
    if (!this.owned) return { id: randomBytes(20), nodes: [], owned: false }
    try {
      const raw = JSON.parse(readFileSync(this.file, 'utf8')) as { id?: unknown, nodes?: unknown }
      const id = typeof raw.id === 'string' && /^[0-9a-f]{40}$/.test(raw.id) ? Buffer.from(raw.id, 'hex') : randomBytes(20)
      const nodes = Array.isArray(raw.nodes) ? raw.nodes.filter(isSavedNode).slice(0, MAX_SAVED_NODES) : []
      return { id, nodes, owned: true }
    } catch {
      return { id: randomBytes(20), nodes: [], owned: true }
    }
  }

  /** Write atomically (temp file, rename), only if this process holds the lock. */
  save (id: Uint8Array, nodes: SavedNode[]): void {
    if (!this.owned) return
    const tmp = `${this.file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify({ id: Buffer.from(id).toString('hex'), nodes: nodes.slice(0, MAX_SAVED_NODES) }), { mode: 0o600 })
    renameSync(tmp, this.file)
  }

  release (): void {
    if (this.owned) rmSync(this.lock, { force: true })
    this.owned = false
  }

  private takeLock (): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lock, 'wx', 0o600)
        writeSync(fd, String(process.pid))
        closeSync(fd)
        return true
      } catch {
        // A lock whose process is gone (killed, crashed) is stale: take it over once.
        const pid = Number(readLockPid(this.lock))
        if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return false
        rmSync(this.lock, { force: true })
      }
    }
    return false
  }
}

function readLockPid (path: string): string {
  try { return readFileSync(path, 'utf8').trim() } catch { return '' }
}

function isAlive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM' }
}

function isSavedNode (v: unknown): v is SavedNode {
  const n = v as SavedNode | null
  return typeof n === 'object' && n !== null && typeof n.host === 'string' && Number.isInteger(n.port) && n.port > 0 && n.port < 65536
}
