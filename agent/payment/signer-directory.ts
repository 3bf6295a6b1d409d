/**
 * Who may sign receipts for a payer, from the escrow's `signerOf`: its current hot signer and a replaced one
 * still inside its grace period. Verification is synchronous, so lookups read a cache that `refresh` fills;
 * a payee session refreshes a payer's entry when its hello arrives and holds its receipts until then.
 */
import type { EscrowClient } from '../chain/client.ts'
import { toAddress, type Address, type SignerDirectory } from '../pay/index.ts'

/** A payer's signer rarely changes (at most once per withdrawal delay); a minute keeps lookups off the chain. */
const DEFAULT_TTL_MS = 60_000
const ZERO = '0x0000000000000000000000000000000000000000'

export interface RefreshableSignerDirectory extends SignerDirectory {
  /** Re-reads the payer's signers if the cached entry is older than the TTL. */
  refresh: (payer: Address, options?: { signal?: AbortSignal }) => Promise<void>
}

interface Entry { signer: Address | null, previous: Address | null, previousValidUntil: number, fetchedAt: number }

export interface ChainSignerDirectoryInit {
  /** @default 60000 */
  ttlMs?: number
}

export class ChainSignerDirectory implements RefreshableSignerDirectory {
  private readonly cache = new Map<Address, Entry>()
  private readonly chain: Pick<EscrowClient, 'signerOf'>
  private readonly clock: () => number
  private readonly ttlMs: number

  constructor (components: { chain: Pick<EscrowClient, 'signerOf'>, clock?: () => number }, init: ChainSignerDirectoryInit = {}) {
    this.chain = components.chain
    this.clock = components.clock ?? Date.now
    this.ttlMs = init.ttlMs ?? DEFAULT_TTL_MS
  }

  signersOf (payer: Address): readonly Address[] {
    const e = this.cache.get(payer)
    if (e === undefined) return []
    const out: Address[] = []
    if (e.signer !== null) out.push(e.signer)
    if (e.previous !== null && this.clock() < e.previousValidUntil * 1000) out.push(e.previous)
    return out
  }

  async refresh (payer: Address, options: { signal?: AbortSignal } = {}): Promise<void> {
    const cached = this.cache.get(payer)
    if (cached !== undefined && this.clock() - cached.fetchedAt < this.ttlMs) return
    const info = await this.chain.signerOf(payer, options)
    const addr = (a: string): Address | null => (a.toLowerCase() === ZERO ? null : toAddress(a))
    this.cache.set(payer, {
      signer: addr(info.signer),
      previous: addr(info.previous),
      previousValidUntil: Number(info.previousValidUntil),
      fetchedAt: this.clock()
    })
  }
}
