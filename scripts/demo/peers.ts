/**
 * The demo's agents: each a TorrentEngine with a PaymentAgent mounted on it and its own SQLite ledger, in a
 * directory of its own. The seeder charges (payee); leechers pay per verified piece with a hot key (payers).
 */
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import type { Logger } from 'pino'
import type { EvmChain } from '../../agent/chain/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { HotKeySigner, toAddress, type Address, type EscrowDomain } from '../../agent/pay/index.ts'
import { PaymentAgent, ChainSignerDirectory, swarmInit, connectSwarm } from '../../agent/payment/index.ts'
import { TorrentEngine, type TorrentMeta } from '../../agent/swarm/index.ts'

export interface DemoPeer {
  name: string
  account: Address
  ledger: Ledger
  payments: PaymentAgent
  engine: TorrentEngine
  dataDir: string
  /** Stops the engine and the payment layer; the ledger stays open (settlement and audit read it). */
  stop: () => Promise<void>
  close: () => void
}

export interface PeerInit {
  name: string
  dir: string
  domain: EscrowDomain
  torrent: TorrentMeta
  /** The account on the escrow (0x-hex). */
  account: string
  /** The key that signs our receipts: the payer's hot key (setSigner) or our own. */
  signingKey: string
  pricePerMiB: bigint
  maxPricePerMiB: bigint
  credit?: bigint
  /** Where the torrent's data is (the seeder) or goes (a leecher). */
  dataDir: string
  /** Peers to dial (`host:port`). */
  peers?: string[]
}

export function makePeer (components: { logger: Logger, chain: EvmChain }, init: PeerInit): DemoPeer {
  mkdirSync(init.dir, { recursive: true })
  const logger = components.logger.child({ peer: init.name })
  const ledger = new Ledger({}, { path: join(init.dir, 'ledger.db') })
  const account = toAddress(init.account)
  const payments = new PaymentAgent({
    logger, ledger, signer: new HotKeySigner(init.signingKey), signers: new ChainSignerDirectory({ chain: components.chain })
  }, {
    domain: init.domain, account, pricePerMiB: init.pricePerMiB, maxPricePerMiB: init.maxPricePerMiB,
    ...(init.credit !== undefined ? { credit: init.credit } : {}),
    // the demo's swarm is all seedpay agents; nobody is served for free
    serveOrdinaryPeers: false
  })
  const engine = new TorrentEngine({ logger }, {
    torrent: init.torrent, dataDir: init.dataDir, host: '127.0.0.1', port: 0, pex: false,
    ...(init.peers !== undefined ? { peers: init.peers } : {}),
    ...swarmInit(payments)
  })
  const unhook = connectSwarm(payments, engine)
  let stopped = false
  return {
    name: init.name, account, ledger, payments, engine, dataDir: init.dataDir,
    stop: async () => {
      if (stopped) return
      stopped = true
      await engine.stop()
      unhook()
      payments.stop()
    },
    close: () => { if (ledger.db.open) ledger.close() }
  }
}
