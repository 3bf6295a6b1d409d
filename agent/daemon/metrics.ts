/**
 * The daemon's `/metrics` in the Prometheus text format (prom-client, a registry of its own). What can be read at
 * scrape time is read then (torrents, peers, bytes, the ledger's sums); what happens between scrapes is counted as
 * it happens (receipts, chokes, settlements). Names follow Prometheus conventions: `seedpay_` prefix, counters end
 * in `_total`, bytes in bytes; BTT amounts are in BTT (a float: base units above 2^53 would lose precision).
 */
import { Counter, Gauge, Registry } from 'prom-client'
import type { PayeeView } from './payments-view.ts'
import type { Daemon } from './daemon.ts'
import { payeeTotals, payerBooks, type PayeeTotals } from './payee-books.ts'

const BTT = 10 ** 18
const btt = (units: bigint): number => Number(units) / BTT

export function daemonMetrics (daemon: Daemon, payee: PayeeView | null): Registry {
  const registry = new Registry()
  const lastUploaded = new Map<string, { bytes: number, name: string }>()
  // registered first: prom-client collects in registration order, and this collect fills the per-torrent metrics
  new Gauge({  
    name: 'seedpay_torrents',
    help: 'Torrents in the daemon by state',
    labelNames: ['state'],
    registers: [registry],
    collect () {
      const all = daemon.list()
      for (const state of ['checking', 'seeding', 'paused', 'error']) this.set({ state }, all.filter(t => t.state === state).length)
      const present = new Set<string>()
      peers.reset()
      verified.reset()
      for (const t of all) {
        const labels = { info_hash: t.infoHash, name: t.name }
        present.add(t.infoHash)
        const delta = t.uploaded - (lastUploaded.get(t.infoHash)?.bytes ?? 0)
        // zero-valued series appear at once, so a rate over the first minutes has a start
        uploaded.inc(labels, delta > 0 ? delta : 0)
        lastUploaded.set(t.infoHash, { bytes: Math.max(t.uploaded, lastUploaded.get(t.infoHash)?.bytes ?? 0), name: t.name })
        peers.set(labels, t.peers)
        verified.set(labels, t.verifiedBytes)
      }
      for (const [hash, seen] of lastUploaded) {
        if (present.has(hash)) continue
        lastUploaded.delete(hash)
        uploaded.remove({ info_hash: hash, name: seen.name })
      }
    }
  })
  const uploaded = new Counter({ name: 'seedpay_torrent_uploaded_bytes_total', help: 'Bytes uploaded per torrent', labelNames: ['info_hash', 'name'], registers: [registry] })
  const peers = new Gauge({ name: 'seedpay_torrent_peers', help: 'Connected peers per torrent', labelNames: ['info_hash', 'name'], registers: [registry] })
  const verified = new Gauge({ name: 'seedpay_torrent_verified_bytes', help: 'Bytes of each torrent verified on disk and served', labelNames: ['info_hash', 'name'], registers: [registry] })
  if (payee !== null) payeeMetrics(registry, payee)
  return registry
}

function payeeMetrics (registry: Registry, p: PayeeView): void {
  const network = p.network
  const receipts = new Counter({ name: 'seedpay_receipts_total', help: 'Receipts stored, as payee (received) or payer (signed)', labelNames: ['role'], registers: [registry] })
  const refusals = new Counter({ name: 'seedpay_payment_refusals_total', help: 'Peers or receipts refused, by error code', labelNames: ['code'], registers: [registry] })
  const chokes = new Counter({ name: 'seedpay_credit_chokes_total', help: 'Payers choked for owing more than their credit', registers: [registry] })
  const uncovered = new Counter({ name: 'seedpay_uncovered_total', help: 'Times a payer\'s next block was not backed: settled now (settle) or made to wait (wait)', labelNames: ['decision'], registers: [registry] })
  const settlements = new Counter({ name: 'seedpay_settlements_total', help: 'Settlement transactions by reason and result', labelNames: ['network', 'reason', 'result'], registers: [registry] })
  const settled = new Counter({ name: 'seedpay_settled_btt_total', help: 'BTT the escrow paid us in settlements this daemon sent', labelNames: ['network'], registers: [registry] })
  const gas = new Counter({ name: 'seedpay_settlement_gas_total', help: 'Gas (TRON: energy) our settlements used', labelNames: ['network'], registers: [registry] })
  const fee = new Counter({ name: 'seedpay_settlement_fee_total', help: 'What our settlements cost, in the chain\'s coin (label coin)', labelNames: ['network', 'coin'], registers: [registry] })
  p.agent.on('receipt:received', () => { receipts.inc({ role: 'payee' }) })
  p.agent.on('receipt:signed', () => { receipts.inc({ role: 'payer' }) })
  p.agent.on('receipt:refused', e => { refusals.inc({ code: e.code }) })
  p.agent.on('peer:refused', e => { refusals.inc({ code: e.code }) })
  p.agent.on('peer:unpaid', () => { chokes.inc() })
  p.agent.on('peer:uncovered', e => { uncovered.inc({ decision: e.decision }) })
  p.scheduler.on('settle:confirmed', e => {
    settlements.inc({ network, reason: e.reason, result: 'confirmed' })
    settled.inc({ network }, btt(e.total))
    gas.inc({ network }, Number(e.gasUsed))
    fee.inc({ network, coin: p.feeCoin.symbol }, Number(e.fee) / 10 ** p.feeCoin.decimals)
  })
  p.scheduler.on('settle:failed', e => { settlements.inc({ network, reason: e.reason, result: 'failed' }) })
  // the ledger's sums, read once per scrape by the first gauge and shared with the others
  let books: PayeeTotals | null = null
  const book = (fresh: boolean): PayeeTotals => { if (fresh || books === null) books = payeeTotals(payerBooks(p)); return books }
  const gauge = (name: string, help: string, read: (b: PayeeTotals) => number, first = false): void => {
    new Gauge({ name, help, labelNames: ['network'], registers: [registry], collect () { this.set({ network }, read(book(first))) } })  
  }
  gauge('seedpay_earned_btt', 'BTT of the newest receipts we hold as payee (settled or not)', b => btt(b.earned), true)
  gauge('seedpay_unsettled_btt', 'BTT we hold in receipts the escrow has not paid yet', b => btt(b.unsettled))
  gauge('seedpay_at_risk_btt', 'Unsettled BTT beyond what backs each payer (its lane and the trusted part of its free balance)', b => btt(b.atRisk))
  gauge('seedpay_lanes_btt', 'BTT payers have reserved for us alone', b => btt(b.lanes))
  gauge('seedpay_payers', 'Payers we hold receipts from', b => b.payers)
}
