/**
 * The demo's agents: each a TorrentEngine whose payments are built by the one composition root
 * (agent/compose: createPayments, as `seedpay seed`/`get` build theirs), with its own SQLite ledger in a
 * directory of its own. The seeder charges (payee); leechers pay per verified piece with a hot key (payers).
 * `unbounded` builds a payer the way the first version did — a PaymentAgent with no budget that signs whatever
 * it receives — to show what a seeder does with a payer whose receipts nothing backs.
 */
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import type { Logger } from 'pino'
import type { EvmChain } from '../../agent/chain/index.ts'
import { createPayments, type Payments, type PayeeOptions, type PayerOptions } from '../../agent/compose/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import { HotKeySigner, toAddress, type Address, type EscrowDomain } from '../../agent/pay/index.ts'
import { PaymentAgent, ChainSignerDirectory, swarmInit, connectSwarm } from '../../agent/payment/index.ts'
import type { SettleSummary } from '../../agent/settle/index.ts'
import { TorrentEngine, type TorrentMeta } from '../../agent/swarm/index.ts'

export interface DemoPeer {
  name: string
  account: Address
  ledger: Ledger
  payments: PaymentAgent
  /** The composed payment side (null for an `unbounded` payer). */
  composed: Payments | null
  engine: TorrentEngine
  dataDir: string
  /** Stops the engine and the payment side (a payee settles what is outstanding); the ledger stays open. */
  stop: () => Promise<SettleSummary | null>
  close: () => void
}

export interface PeerInit {
  name: string
  dir: string
  domain: EscrowDomain
  torrent: TorrentMeta
  /** The account on the escrow (0x-hex); `chain` sends its transactions (reserve, settle). */
  account: string
  /** The key that signs our receipts and hello proofs: the payer's hot key (setSigner) or our own. */
  signingKey: string
  payee?: PayeeOptions
  payer?: PayerOptions
  /** A payer with no budget at all (signs everything): the first version's payer. */
  unbounded?: { maxPricePerMiB: bigint }
  /** Where the torrent's data is (the seeder) or goes (a leecher). */
  dataDir: string
  /** Peers to dial (`host:port`). */
  peers?: string[]
}

export async function makePeer (components: { logger: Logger, chain: EvmChain }, init: PeerInit): Promise<DemoPeer> {
  mkdirSync(init.dir, { recursive: true })
  const logger = components.logger.child({ peer: init.name })
  const ledger = new Ledger({}, { path: join(init.dir, 'ledger.db') })
  const account = toAddress(init.account)
  const signer = new HotKeySigner(init.signingKey)
  let composed: Payments | null = null
  let payments: PaymentAgent
  if (init.unbounded !== undefined) {
    payments = new PaymentAgent({ logger, ledger, signer, signers: new ChainSignerDirectory({ chain: components.chain }) }, {
      domain: init.domain, account, pricePerMiB: 0n, maxPricePerMiB: init.unbounded.maxPricePerMiB
    })
  } else {
    composed = await createPayments({ logger, ledger, chain: components.chain, signer }, {
      domain: init.domain, account,
      // the demo's swarm is all seedpay agents; nobody is served for free
      ...(init.payee !== undefined ? { payee: { serveOrdinaryPeers: false, ...init.payee } } : {}),
      ...(init.payer !== undefined ? { payer: init.payer } : {})
    })
    payments = composed.agent
  }
  const engine = new TorrentEngine({ logger }, {
    torrent: init.torrent, dataDir: init.dataDir, host: '127.0.0.1', port: 0, pex: false,
    ...(init.peers !== undefined ? { peers: init.peers } : {}),
    ...(composed?.engineInit ?? swarmInit(payments))
  })
  let unhook = (): void => {}
  if (composed !== null) composed.attach(engine)
  else unhook = connectSwarm(payments, engine)
  let stopped: Promise<SettleSummary | null> | null = null
  return {
    name: init.name, account, ledger, payments, composed, engine, dataDir: init.dataDir,
    stop: async () => {
      stopped ??= (async () => {
        await engine.stop()
        unhook()
        if (composed !== null) return await composed.stop()
        await payments.stop()
        return null
      })()
      return await stopped
    },
    close: () => { if (ledger.db.open) ledger.close() }
  }
}
