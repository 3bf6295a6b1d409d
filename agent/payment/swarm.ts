/**
 * Plugs a PaymentAgent (or PaymentNetworks, several networks) into the swarm engine. The extension and the upload policy go into the engine's
 * init (`swarmInit`); the byte counts and rechoke triggers are wired once it exists (`connectSwarm`).
 */
import type { WireExtensionCtor } from 'bittorrent-protocol'
import type { DownloadPolicy, EngineInit, TorrentEngine } from '../swarm/index.ts'
import type { TypedEmitter } from '../wire/index.ts'
import type { PaymentTerms, PaymentUploadPolicy, WireMount } from './agent.ts'
import type { PaymentEvents } from './events.ts'

/**
 * What the engine is plugged into: one network's PaymentAgent, or PaymentNetworks (networks.ts) over several.
 * Structural, so both fit without one knowing the other.
 */
export interface PaymentHost extends Pick<TypedEmitter<PaymentEvents>, 'on' | 'off'> {
  readonly defaultTerms: PaymentTerms
  extension: (wire: WireMount, terms?: PaymentTerms) => WireExtensionCtor
  uploadPolicyFor: (terms: PaymentTerms) => PaymentUploadPolicy
  downloadPolicyFor: (terms: PaymentTerms) => DownloadPolicy
  onUploaded: (peerId: string, length: number, terms?: PaymentTerms) => void
  onVerified: (bytesByPeer: ReadonlyMap<string, number>, terms?: PaymentTerms) => void
  /** Signs what is owed to every peer now; resolves once it is stored and handed to the wires. */
  flush: () => Promise<void>
}

/**
 * The engine init fields that mount seedpay on every wire and let payments steer the choker and the requests.
 * @param terms the torrent's own price and free slots (and its scope); pass the same object to connectSwarm
 */
export function swarmInit (agent: PaymentHost, terms: PaymentTerms = agent.defaultTerms): Pick<EngineInit, 'extensions' | 'uploadPolicy' | 'downloadPolicy'> {
  return {
    extensions: [wire => agent.extension({ initiator: wire.direction === 'out', localPeerId: () => wire.localPeerId, close: reason => { wire.destroy(reason) } }, terms)],
    uploadPolicy: agent.uploadPolicyFor(terms),
    downloadPolicy: agent.downloadPolicyFor(terms)
  }
}

/**
 * Counts bytes uploaded (payee side) and verified (payer side) and rechokes as soon as a payment decision
 * changes (a peer became ready, ran out of credit, or paid up).
 * @returns a function that unhooks everything
 */
export function connectSwarm (agent: PaymentHost, engine: TorrentEngine, terms: PaymentTerms = agent.defaultTerms): () => void {
  const uploaded = ({ peerId, length }: { peerId: string, length: number }): void => { agent.onUploaded(peerId, length, terms) }
  const verified = ({ bytesByPeer }: { bytesByPeer: Map<string, number> }): void => { agent.onVerified(bytesByPeer, terms) }
  const rechoke = (): void => { engine.rechoke() }
  // our budget grew for a payee (lane reserved, payee's lane learnt), a payee granted more credit, or a receipt
  // paid what we owed (a paced one, on a timer, when every piece in flight had already been hashed: nothing else
  // would ask for more, and the pipe sat empty until the engine's next tick): ask for more
  const refill = (): void => { engine.refill() }
  // the last pieces are paid now, not on the pacer's timer: the payee should not wait, and the wires close only
  // once that receipt is stored and sent (its durable write is on the ledger's writer thread)
  const unhold = engine.beforeClose(async () => { await agent.flush() })
  engine.on('block:uploaded', uploaded)
  engine.on('piece:hashed', verified)
  agent.on('peer:ready', rechoke)
  agent.on('peer:unpaid', rechoke)
  agent.on('peer:paid-up', rechoke)
  agent.on('funds:changed', refill)
  agent.on('credit:granted', refill)
  agent.on('receipt:signed', refill)
  return () => {
    engine.off('block:uploaded', uploaded)
    engine.off('piece:hashed', verified)
    agent.off('peer:ready', rechoke)
    agent.off('peer:unpaid', rechoke)
    agent.off('peer:paid-up', rechoke)
    agent.off('funds:changed', refill)
    agent.off('credit:granted', refill)
    agent.off('receipt:signed', refill)
    unhold()
  }
}
