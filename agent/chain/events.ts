/**
 * Decodes the escrow's raw logs (topics + data, as both an EVM node and a TRON node return them) into typed
 * EscrowEvents. BatchSettled is followed by one `Settled` event per record, so the audit can rebuild every
 * pair's bytes and payouts the same way whether receipts were settled alone or in a batch. Lanes are rebuilt the
 * same way, replaying in order: LaneReserved sets the lane to its `lane`, LaneReleased takes `amount` out, and a
 * Settled `paid` on the pair took min(paid, lane before) from the lane (the contract takes the lane first).
 */
import { getAddress } from 'ethers'
import { escrowInterface, nativeEscrowInterface } from './abi.ts'
import { decodeBatchRecords } from './batch-encoding.ts'
import type { EscrowEvent, EventMeta } from './client.ts'

export interface RawLog {
  /** Hex topics, with or without 0x. */
  topics: readonly string[]
  /** Hex data, with or without 0x. */
  data: string
}

function hex (s: string): string {
  return s.startsWith('0x') ? s : '0x' + s
}

/** Decodes one escrow log of either escrow; unknown logs (e.g. EIP712DomainChanged) decode to nothing. */
export function decodeEscrowLog (log: RawLog, meta: EventMeta): EscrowEvent[] {
  const raw = { topics: log.topics.map(hex), data: hex(log.data === '' ? '0x' : log.data) }
  let parsed
  try {
    // the native escrow's own events (PayoutDeferred, Claimed) are looked up only when the shared ABI has no match
    parsed = escrowInterface().parseLog(raw) ?? nativeEscrowInterface().parseLog(raw)
  } catch {
    return []
  }
  if (parsed === null) return []
  const a = parsed.args
  const addr = (i: number): string => getAddress(a[i] as string)
  const big = (i: number): bigint => a[i] as bigint
  switch (parsed.name) {
    case 'Deposited':
      return [{ ...meta, name: 'Deposited', payer: addr(0), from: addr(1), amount: big(2) }]
    case 'WithdrawalRequested':
      return [{ ...meta, name: 'WithdrawalRequested', payer: addr(0), amount: big(1), unlockAt: big(2) }]
    case 'WithdrawalCancelled':
      return [{ ...meta, name: 'WithdrawalCancelled', payer: addr(0) }]
    case 'Withdrawn':
      return [{ ...meta, name: 'Withdrawn', payer: addr(0), amount: big(1) }]
    case 'SignerChanged':
      return [{ ...meta, name: 'SignerChanged', payer: addr(0), signer: addr(1), previous: addr(2), previousValidUntil: big(3) }]
    case 'Settled':
      return [{ ...meta, name: 'Settled', payer: addr(0), payee: addr(1), paid: big(2), cumulativeBytes: big(3), cumulativeAmount: big(4) }]
    case 'Bounced':
      return [{ ...meta, name: 'Bounced', payer: addr(0), payee: addr(1), unpaid: big(2) }]
    case 'BatchSettled': {
      const payee = addr(0)
      const records = decodeBatchRecords(a[3] as string)
      const out: EscrowEvent[] = [{ ...meta, name: 'BatchSettled', payee, totalPaid: big(1), skipped: big(2), settledCount: records.length }]
      records.forEach((r, batchIndex) => {
        out.push({ ...meta, name: 'Settled', payer: r.payer, payee, paid: r.paid, cumulativeBytes: r.cumulativeBytes, cumulativeAmount: r.cumulativeAmount, batchIndex })
      })
      return out
    }
    case 'LaneReserved':
      return [{ ...meta, name: 'LaneReserved', payer: addr(0), payee: addr(1), amount: big(2), lane: big(3) }]
    case 'LaneReleaseRequested':
      return [{ ...meta, name: 'LaneReleaseRequested', payer: addr(0), payee: addr(1), amount: big(2), unlockAt: big(3) }]
    case 'LaneReleaseCancelled':
      return [{ ...meta, name: 'LaneReleaseCancelled', payer: addr(0), payee: addr(1) }]
    case 'LaneReleased':
      return [{ ...meta, name: 'LaneReleased', payer: addr(0), payee: addr(1), amount: big(2) }]
    case 'PayoutDeferred':
      return [{ ...meta, name: 'PayoutDeferred', to: addr(0), amount: big(1) }]
    case 'Claimed':
      return [{ ...meta, name: 'Claimed', account: addr(0), to: addr(1), amount: big(2) }]
    default:
      return []
  }
}
