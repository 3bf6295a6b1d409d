/**
 * One channel object per (payer, payee) pair, shared by every connection between the two accounts (two
 * torrents, or a reconnect overlapping the old connection). Cumulative receipts are only safe if one counter
 * signs them, and a payer's credit is per account, not per connection.
 */
import { PayeeChannel, PayerChannel, channelKey, type Address, type CreditPolicy, type EscrowDomain, type ReceiptSigner, type ReceiptVerifier } from '../pay/index.ts'
import type { ChannelKey, Ledger } from '../ledger/index.ts'

/** A channel and the sessions using it, oldest first (the oldest open one carries our receipts). */
export interface Shared<C> {
  readonly channel: C
  readonly key: ChannelKey
  readonly users: Set<object>
}

/** When the channel's last receipt was signed and the timer for its next one (agent/pay/receipt-pacer.ts). */
export interface PaceState {
  lastAt: number
  timer: NodeJS.Timeout | null
}

/** Our channel paying a payee, with its receipt pacing: one pace per channel, whichever connection carries it. */
export interface PayerShared extends Shared<PayerChannel> {
  readonly pace: PaceState
}

export interface ChannelRegistryComponents {
  ledger: Ledger
  verifier: ReceiptVerifier
  signer: ReceiptSigner
  policy: CreditPolicy
}

export interface ChannelRegistryInit {
  domain: EscrowDomain
  account: Address
  blockLength: number
}

export class ChannelRegistry {
  private readonly payees = new Map<Address, Shared<PayeeChannel>>()
  private readonly payers = new Map<Address, PayerShared>()
  private readonly c: ChannelRegistryComponents
  private readonly init: ChannelRegistryInit

  constructor (components: ChannelRegistryComponents, init: ChannelRegistryInit) {
    this.c = components
    this.init = init
  }

  keyFor (payer: Address, payee: Address): ChannelKey {
    return channelKey(this.init.domain, payer, payee)
  }

  /**
   * The channel in which `payer` pays us at `pricePerMiB` (our price for the torrent of `user`'s connection),
   * opened from the ledger on first use; null while it is open at another price: its receipts are checked
   * against one price from one base, so another torrent's price waits until the channel's session ends.
   */
  acquirePayee (payer: Address, pricePerMiB: bigint, user: object): Shared<PayeeChannel> | null {
    let shared = this.payees.get(payer)
    if (shared === undefined) {
      const key = this.keyFor(payer, this.init.account)
      const channel = new PayeeChannel({ verifier: this.c.verifier, policy: this.c.policy }, {
        payer, payee: this.init.account, pricePerMiB,
        held: this.c.ledger.open(key, 'payee').newest, blockLength: this.init.blockLength
      })
      shared = { channel, key, users: new Set() }
      this.payees.set(payer, shared)
    } else if (shared.channel.pricePerMiB !== pricePerMiB) {
      return null
    }
    shared.users.add(user)
    return shared
  }

  /** The channel in which we pay `payee` at its `pricePerMiB`; null while it is open at another price (as above). */
  acquirePayer (payee: Address, pricePerMiB: bigint, user: object): PayerShared | null {
    let shared = this.payers.get(payee)
    if (shared !== undefined && shared.channel.pricePerMiB !== pricePerMiB) return null
    if (shared === undefined) {
      const key = this.keyFor(this.init.account, payee)
      const channel = new PayerChannel({ signer: this.c.signer, verifier: this.c.verifier }, {
        payer: this.init.account, payee, pricePerMiB, newest: this.c.ledger.open(key, 'payer').newest
      })
      shared = { channel, key, users: new Set(), pace: { lastAt: -Infinity, timer: null } }
      this.payers.set(payee, shared)
    }
    shared.users.add(user)
    return shared
  }

  /** The price the open channel in which `payer` pays us is at, if open. */
  payeePrice (payer: Address): bigint | undefined { return this.payees.get(payer)?.channel.pricePerMiB }
  /** The price the open channel in which we pay `payee` is at, if open. */
  payerPrice (payee: Address): bigint | undefined { return this.payers.get(payee)?.channel.pricePerMiB }

  /** Drops `user`'s hold; a channel nobody uses is forgotten (the ledger keeps its state). */
  release (user: object): void {
    for (const map of [this.payees, this.payers] as Array<Map<Address, Shared<unknown>>>) {
      for (const [k, shared] of map) {
        shared.users.delete(user)
        if (shared.users.size > 0) continue
        map.delete(k)
        const pace = (shared as Partial<PayerShared>).pace
        if (pace?.timer != null) { clearTimeout(pace.timer); pace.timer = null }
      }
    }
  }
}
