/**
 * The one composition root of the payment side: from one options object it builds the PaymentAgent and,
 * as the roles ask, the payee's coverage view, event feed and settlement scheduler (with its watchtower), and
 * the payer's budget and lane reserver — wired to each other and, with `attach`, to a swarm engine. The CLI's
 * `seed`/`get`, the demo and the e2e tests all build their payments here, so what is tested is what ships.
 *
 * ```ts
 * const payments = await createPayments({ logger, ledger, chain, signer }, {
 *   domain, account, payee: { pricePerMiB, exposureLimit, wantLane }, payer: { maxPricePerMiB, budget } })
 * const engine = new TorrentEngine({ logger }, { torrent, dataDir, ...payments.engineInit })
 * payments.attach(engine)
 * ...
 * const summary = await payments.stop()   // settles what is outstanding (payee)
 * ```
 */
import type { Logger } from 'pino'
import type { EscrowClient } from '../chain/index.ts'
import type { Ledger } from '../ledger/index.ts'
import { amountFor, MIB, toAddress, type Address, type EscrowDomain, type ReceiptSigner } from '../pay/index.ts'
import { PaymentAgent, PaymentNetworks, ChainSignerDirectory, PayeeCoverage, PayerFunds, swarmInit, connectSwarm, type PaymentTerms } from '../payment/index.ts'
import { EscrowEventFeed, SettlementScheduler, type SettlementSchedulerInit, type SettleSummary } from '../settle/index.ts'
import type { EngineInit, TorrentEngine } from '../swarm/index.ts'
import { PaymentsConfigError } from './errors.ts'

/** Without `exposureLimit`, a seeder trusts a payer's free balance for this many MiB at its price. */
export const DEFAULT_EXPOSURE_MIB = 64n
/** A payer's room below the price of this many bytes counts as spent. */
const DUST_BYTES = 256n * 1024n

export interface PaymentsComponents {
  logger: Logger
  ledger: Ledger
  /** The escrow on the chain receipts are cashed on; it sends settlements (payee) and reserves (payer). */
  chain: EscrowClient
  /** Signs our receipts and hello proofs: our account key, or the hot signer registered for it. */
  signer: ReceiptSigner
  /** @default Date.now */
  clock?: () => number
}

export interface PayeeOptions {
  /** What we charge per MiB uploaded, token base units (> 0). */
  pricePerMiB: bigint
  /** The most a payer is served beyond its newest receipt (it starts at 4 MiB and earns the rest). @default 32 MiB */
  credit?: bigint
  /** How much of a payer's free (unreserved) balance we trust. @default DEFAULT_EXPOSURE_MIB at our price */
  exposureLimit?: bigint
  /** The lane our hello asks payers to reserve for us. @default 0 */
  wantLane?: bigint
  /** A payer's free balance stops counting once our view is older than this. @default 30000 */
  maxStalenessMs?: number
  /** Settle for risk only when this much rests on the free balance. @default exposureLimit / 4 */
  minRiskSettle?: bigint
  /** Serve ordinary BitTorrent peers in free slots. @default true */
  serveOrdinaryPeers?: boolean
  /** The scheduler's settings (threshold, interval, batch size, retries); `payee` is ours. */
  settle?: Omit<SettlementSchedulerInit, 'payee'>
  /** The event feed's settings. */
  feed?: { pollMs?: number, confirmations?: number, rescanBlocks?: number, fromBlock?: number }
}

export interface PayerOptions {
  /** The most we pay per MiB. */
  maxPricePerMiB: bigint
  /** Most this run signs (`get --budget`). @default our whole free balance and lanes */
  budget?: bigint
  /** Reserve the lanes payees ask for. @default true */
  autoLane?: boolean
  /** Most reserved for one payee, whatever it asks. @default no limit beyond the budget */
  maxLane?: bigint
}

export interface PaymentsOptions {
  domain: EscrowDomain
  /** Our account on the escrow. */
  account: string
  /** Charge peers (the payee role). */
  payee?: PayeeOptions
  /** Pay peers that charge (the payer role). */
  payer?: PayerOptions
  /** @default 30000 */
  helloTimeoutMs?: number
}

/** One torrent's own terms, where they differ from the payee's options (the daemon prices torrents one by one). */
export interface TorrentTerms {
  /** What this torrent is sold at, token base units per MiB (> 0). @default payee.pricePerMiB */
  pricePerMiB?: bigint
  /** Upload slots for ordinary BitTorrent peers in this torrent (0: payers only). @default payee.serveOrdinaryPeers */
  freeSlots?: number
}

/** What mounts the payment side on one torrent's engine: its init fields, then `attach` once it exists. */
export interface PaymentsMount {
  /** Spread into the TorrentEngine's init: the seedpay extension, the payment policies, the free slots. */
  readonly engineInit: Pick<EngineInit, 'extensions' | 'uploadPolicy' | 'downloadPolicy' | 'uploadSlots'>
  /** Counts bytes and rechokes on payment changes for the engine; returns its detach. */
  attach: (engine: TorrentEngine) => () => void
  /** The account paying us for what we upload to `peerId` in this torrent (admitted by its hello proof), if any. */
  payerOf: (peerId: string) => Address | null
}

export interface Payments {
  readonly agent: PaymentAgent
  /** What engines are mounted on: the agent behind the one-network facade (agent/payment/networks.ts). */
  readonly host: PaymentNetworks
  readonly scheduler: SettlementScheduler | null
  readonly feed: EscrowEventFeed | null
  readonly coverage: PayeeCoverage | null
  readonly funds: PayerFunds | null
  /** Spread into the TorrentEngine's init: the seedpay extension and the payment policies. */
  readonly engineInit: Pick<EngineInit, 'extensions' | 'uploadPolicy' | 'downloadPolicy'>
  /** Counts bytes and rechokes on payment changes for `engine` (one or many: the daemon's); returns its detach. */
  attach: (engine: TorrentEngine) => () => void
  /**
   * A torrent sold on its own terms (price, free slots): init fields and attach of its own, scoped to its
   * sessions. A payer connected at one price to a channel open at another is refused (`price-in-use`).
   */
  mount: (terms: TorrentTerms) => PaymentsMount
  /** Stops everything; a payee settles what is outstanding first. */
  stop: () => Promise<SettleSummary | null>
}

/** Builds and starts the payment side; rejects (nothing left running) if the chain cannot be read. */
export async function createPayments (components: PaymentsComponents, options: PaymentsOptions): Promise<Payments> {
  const { logger, ledger, chain, signer } = components
  const account = toAddress(options.account)
  const signal = new AbortController()
  const payee = options.payee
  const payer = options.payer
  if (payee !== undefined && payee.pricePerMiB <= 0n) throw new PaymentsConfigError('payee.pricePerMiB must be > 0 (leave payee out to serve for free)')
  if (payee !== undefined) checkPayeeAddress(account, options.domain, await chain.token({ signal: signal.signal }))

  let feed: EscrowEventFeed | null = null
  let scheduler: SettlementScheduler | null = null
  let coverage: PayeeCoverage | null = null
  let funds: PayerFunds | null = null
  const unhooks: Array<() => void> = []
  try {
    if (payee !== undefined) {
      feed = new EscrowEventFeed({ logger, chain, ...(components.clock !== undefined ? { clock: components.clock } : {}) }, payee.feed ?? {})
      scheduler = new SettlementScheduler({ logger, ledger, chain, feed }, { ...payee.settle, payee: account })
      const s = scheduler
      coverage = new PayeeCoverage({
        logger, chain, feed,
        settle: async p => await s.settleNow([p], 'risk'),
        settlementCost: () => s.urgentCost,
        ...(components.clock !== undefined ? { clock: components.clock } : {})
      }, {
        payee: account,
        exposureLimit: payee.exposureLimit ?? amountFor(DEFAULT_EXPOSURE_MIB * MIB, payee.pricePerMiB),
        withdrawalWindow: await chain.withdrawalWindow({ signal: signal.signal }),
        ...(payee.maxStalenessMs !== undefined ? { maxStalenessMs: payee.maxStalenessMs } : {}),
        ...(payee.minRiskSettle !== undefined ? { minRiskSettle: payee.minRiskSettle } : {})
      })
    }
    if (payer !== undefined) {
      funds = new PayerFunds({ logger, chain, ledger }, {
        payer: account, domain: options.domain,
        // room that cannot pay for a typical piece (256 KiB) at the most we pay buys nothing: the budget is spent
        dust: amountFor(DUST_BYTES, payer.maxPricePerMiB),
        ...(payer.budget !== undefined ? { cap: payer.budget } : {}),
        ...(payer.autoLane !== undefined ? { autoLane: payer.autoLane } : {}),
        ...(payer.maxLane !== undefined ? { maxLane: payer.maxLane } : {})
      })
      await funds.start({ signal: signal.signal })
    }
    const agent = new PaymentAgent({
      logger, ledger, signer,
      signers: new ChainSignerDirectory({ chain, ...(components.clock !== undefined ? { clock: components.clock } : {}) }),
      ...(coverage !== null ? { coverage } : {}),
      ...(funds !== null ? { funds } : {})
    }, {
      domain: options.domain,
      account,
      pricePerMiB: payee?.pricePerMiB ?? 0n,
      maxPricePerMiB: payer?.maxPricePerMiB ?? 0n,
      ...(payee?.credit !== undefined ? { credit: payee.credit } : {}),
      ...(payee?.wantLane !== undefined ? { wantLane: payee.wantLane } : {}),
      ...(payee?.serveOrdinaryPeers !== undefined ? { serveOrdinaryPeers: payee.serveOrdinaryPeers } : {}),
      ...(options.helloTimeoutMs !== undefined ? { helloTimeoutMs: options.helloTimeoutMs } : {})
    })
    if (scheduler !== null) {
      const s = scheduler
      // every payer we serve is watched from its verified hello on, before it has a channel
      const watch = ({ hello }: { hello: { account: Address } }): void => { s.watch(hello.account) }
      agent.on('peer:ready', watch)
      unhooks.push(() => agent.off('peer:ready', watch))
      await scheduler.start()
    }
    // one network is a facade of one: the wire announces it (`seedpay_nets`) and is judged as by any agent
    const host = new PaymentNetworks({ logger }, [agent])
    const attached = new Set<() => void>()
    const mount = (terms: PaymentTerms): PaymentsMount['attach'] => engine => {
      const unhook = connectSwarm(host, engine, terms)
      attached.add(unhook)
      return () => { if (attached.delete(unhook)) unhook() }
    }
    return {
      agent, host, scheduler, feed, coverage, funds,
      engineInit: swarmInit(host),
      attach: mount(host.defaultTerms),
      mount: terms => {
        if (terms.pricePerMiB !== undefined && terms.pricePerMiB <= 0n) throw new PaymentsConfigError('a torrent\'s pricePerMiB must be > 0 (serve it without payments to give it away)')
        if (payee === undefined && terms.pricePerMiB !== undefined) throw new PaymentsConfigError('a torrent\'s price needs the payee role')
        const scope: PaymentTerms = {
          ...(terms.pricePerMiB !== undefined ? { pricePerMiB: terms.pricePerMiB } : {}),
          ...(terms.freeSlots !== undefined ? { serveOrdinaryPeers: terms.freeSlots > 0 } : {})
        }
        const slots = terms.freeSlots !== undefined && terms.freeSlots > 0 ? { uploadSlots: terms.freeSlots } : {}
        return { engineInit: { ...swarmInit(host, scope), ...slots }, attach: mount(scope), payerOf: peerId => agent.session(peerId, scope)?.account ?? null }
      },
      stop: async () => {
        for (const unhook of attached) unhook()
        attached.clear()
        for (const u of unhooks) u()
        await agent.stop()
        coverage?.stop()
        await funds?.stop()
        const summary = scheduler === null ? null : await scheduler.stop()
        await feed?.stop()
        return summary
      }
    }
  } catch (err) {
    coverage?.stop()
    await funds?.stop().catch(() => undefined)
    await scheduler?.stop().catch(() => undefined)
    await feed?.stop().catch(() => undefined)
    signal.abort()
    throw err
  }
}

const ZERO = '0x0000000000000000000000000000000000000000'

/** A payee that could never receive: the zero address, the escrow itself, or its token. */
function checkPayeeAddress (account: Address, domain: EscrowDomain, token: string): void {
  const never = [ZERO, toAddress(domain.escrow), toAddress(token)]
  if (never.includes(account)) throw new PaymentsConfigError(`account ${account} can never receive payments (it is the zero address, the escrow or its token)`)
}
