/**
 * Plugs a PaymentAgent into the swarm engine. The extension and the upload policy go into the engine's
 * init (`swarmInit`); the byte counts and rechoke triggers are wired once it exists (`connectSwarm`).
 */
import type { EngineInit, TorrentEngine } from '../swarm/index.ts'
import type { PaymentAgent } from './agent.ts'

/** The engine init fields that mount seedpay on every wire and let payments steer the choker and the requests. */
export function swarmInit (agent: PaymentAgent): Pick<EngineInit, 'extensions' | 'uploadPolicy' | 'downloadPolicy'> {
  return {
    extensions: [wire => agent.extension({ initiator: wire.direction === 'out', localPeerId: () => wire.localPeerId, close: reason => { wire.destroy(reason) } })],
    uploadPolicy: agent.uploadPolicy,
    downloadPolicy: agent.downloadPolicy
  }
}

/**
 * Counts bytes uploaded (payee side) and verified (payer side) and rechokes as soon as a payment decision
 * changes (a peer became ready, ran out of credit, or paid up).
 * @returns a function that unhooks everything
 */
export function connectSwarm (agent: PaymentAgent, engine: TorrentEngine): () => void {
  const uploaded = ({ peerId, length }: { peerId: string, length: number }): void => { agent.onUploaded(peerId, length) }
  const verified = ({ bytesByPeer }: { bytesByPeer: Map<string, number> }): void => { agent.onVerified(bytesByPeer) }
  const rechoke = (): void => { engine.rechoke() }
  // our budget grew for a payee (lane reserved, payee's lane learnt): ask the charging peers for more
  const refill = (): void => { engine.refill() }
  engine.on('block:uploaded', uploaded)
  engine.on('piece:verified', verified)
  agent.on('peer:ready', rechoke)
  agent.on('peer:unpaid', rechoke)
  agent.on('peer:paid-up', rechoke)
  agent.on('funds:changed', refill)
  return () => {
    engine.off('block:uploaded', uploaded)
    engine.off('piece:verified', verified)
    agent.off('peer:ready', rechoke)
    agent.off('peer:unpaid', rechoke)
    agent.off('peer:paid-up', rechoke)
    agent.off('funds:changed', refill)
  }
}
