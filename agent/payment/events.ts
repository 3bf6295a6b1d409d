/** Typed events of the payment layer; every payload names the peer (BitTorrent peer id, hex, or null). */
import type { ViolationCode, HelloMessage, ErrorName } from '../wire/index.ts'
import type { Address, SignedReceipt } from '../pay/index.ts'

export interface PeerRef { peerId: string | null }

export interface PaymentEvents {
  /** Hello exchange done and the peer's terms accepted: channels are open both ways. */
  'peer:ready': PeerRef & { hello: HelloMessage }
  /** We signed, stored and sent a receipt (we are the payer). */
  'receipt:signed': PeerRef & { receipt: SignedReceipt }
  /** A receipt passed every check and is stored (we are the payee). */
  'receipt:received': PeerRef & { receipt: SignedReceipt }
  /** A receipt failed a check; the peer is refused. */
  'receipt:refused': PeerRef & { code: ErrorName, reason: string }
  /** The peer (a payee) grants us a new credit: our requests to it may fill the larger window. */
  'credit:granted': PeerRef & { credit: bigint }
  /** The payer's unpaid bytes exceed the credit: choke it. */
  'peer:unpaid': PeerRef & { unpaid: bigint }
  /** A receipt brought a choked payer back under the credit (or earned it more): it may be unchoked. */
  'peer:paid-up': PeerRef & { unpaid: bigint }
  /** We adopted the payee's `hello.last` because our ledger was behind. */
  'peer:resynced': PeerRef & { receipt: SignedReceipt }
  'peer:protocol-error': PeerRef & { code: ViolationCode, detail: string }
  /** We refused the peer (terms, receipt, resync) and are closing it; `askedPricePerMiB` once its hello arrived. */
  'peer:refused': PeerRef & { code: ErrorName, msg: string, askedPricePerMiB?: bigint }
  'peer:closed': PeerRef & { reason: string }
  /**
   * A payer's next block would leave our receipts uncovered: we settle now ('settle') or wait for it to
   * reserve or deposit ('wait'). Reported once per change.
   */
  'peer:uncovered': PeerRef & { payer: Address, decision: 'settle' | 'wait', lane: bigint, free: bigint }
  /** Our budget grew for a payee (lane reserved, payee learnt): ask charging peers for more. */
  'funds:changed': { payee: Address }
  /** Nothing more can be signed this run: charging peers are no longer asked (free peers go on). */
  'budget:exhausted': { spent: bigint, cap: bigint | null, free: bigint }
  /** We reserved lanes for payees that asked (one transaction). */
  'lane:reserved': { txId: string, lanes: Array<{ payee: Address, amount: bigint }> }
}

/** Every event name, so a facade over several agents (networks.ts) forwards all of them; the Record keeps it complete. */
const EVENT_NAMES: Record<keyof PaymentEvents, true> = {
  'peer:ready': true, 'receipt:signed': true, 'receipt:received': true, 'receipt:refused': true, 'credit:granted': true,
  'peer:unpaid': true, 'peer:paid-up': true, 'peer:resynced': true, 'peer:protocol-error': true, 'peer:refused': true,
  'peer:closed': true, 'peer:uncovered': true, 'funds:changed': true, 'budget:exhausted': true, 'lane:reserved': true
}
export const PAYMENT_EVENT_NAMES = Object.keys(EVENT_NAMES) as Array<keyof PaymentEvents>
