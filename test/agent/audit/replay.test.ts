/** The lane replay as a pure fold: chain order across blocks, transactions and batch records; expiry boundaries. */
import { expect } from 'chai'
import type { EscrowEvent } from '../../../agent/chain/index.ts'
import { chainOrder, pairId, pendingState, replayLanes } from '../../../agent/audit/index.ts'

const PAYER = '0x' + '11'.repeat(20)
const PAYEE = '0x' + '22'.repeat(20)

/** One event without its position (distributes over the union, so each variant keeps its own fields). */
type Body<E = EscrowEvent> = E extends EscrowEvent ? Omit<E, 'blockNumber' | 'txId' | 'logIndex'> : never
const at = (blockNumber: number, txId: string, logIndex: number, body: Body): EscrowEvent => ({ blockNumber, txId, logIndex, ...body })

describe('audit: lane replay', () => {
  it('orders by block, keeps transactions of a block as given (TRON numbers logs per transaction), then by logIndex and batchIndex', () => {
    const deposit = at(5, 'tx1', 1, { name: 'Deposited', payer: PAYER, from: PAYER, amount: 100n })
    const reserve = at(5, 'tx2', 0, { name: 'LaneReserved', payer: PAYER, payee: PAYEE, amount: 60n, lane: 60n })
    const summary = at(6, 'tx3', 0, { name: 'BatchSettled', payee: PAYEE, totalPaid: 80n, skipped: 0n, settledCount: 2 })
    const first = at(6, 'tx3', 0, { name: 'Settled', payer: PAYER, payee: PAYEE, paid: 50n, cumulativeBytes: 1n, cumulativeAmount: 50n, batchIndex: 0 })
    const second = at(6, 'tx3', 0, { name: 'Settled', payer: PAYER, payee: PAYEE, paid: 30n, cumulativeBytes: 2n, cumulativeAmount: 80n, batchIndex: 1 })
    // shuffled: a later block first, records before their summary; tx1 (logIndex 1) before tx2 (logIndex 0) in block 5
    const ordered = chainOrder([second, deposit, first, reserve, summary])
    expect(ordered).to.deep.equal([deposit, reserve, summary, first, second])

    const { pairs, payers } = replayLanes([second, deposit, first, reserve, summary])
    const p = pairs.get(pairId(PAYER, PAYEE))!
    // 50 from the 60 lane; then 10 from the lane and 20 from free
    expect([p.lane, p.paidFromLane, p.paidFromFree]).to.deep.equal([0n, 60n, 20n])
    expect(payers.get(PAYER)?.free).to.equal(20n)
  })

  it('takes the lane total from LaneReserved, and clears a pending release when it is cancelled or executed', () => {
    const { pairs, payers } = replayLanes([
      at(1, 'a', 0, { name: 'Deposited', payer: PAYER, from: PAYER, amount: 10n }),
      at(2, 'b', 0, { name: 'LaneReserved', payer: PAYER, payee: PAYEE, amount: 4n, lane: 4n }),
      at(3, 'c', 0, { name: 'LaneReleaseRequested', payer: PAYER, payee: PAYEE, amount: 3n, unlockAt: 100n }),
      at(4, 'd', 0, { name: 'LaneReleaseCancelled', payer: PAYER, payee: PAYEE }),
      at(5, 'e', 0, { name: 'LaneReleaseRequested', payer: PAYER, payee: PAYEE, amount: 2n, unlockAt: 200n }),
      at(6, 'f', 0, { name: 'LaneReleased', payer: PAYER, payee: PAYEE, amount: 2n }),
      at(7, 'g', 0, { name: 'LaneReleaseRequested', payer: PAYER, payee: PAYEE, amount: 1n, unlockAt: 300n }),
      at(8, 'h', 0, { name: 'Withdrawn', payer: PAYER, amount: 5n })
    ])
    const p = pairs.get(pairId(PAYER, PAYEE))!
    expect([p.lane, p.reserved, p.released, p.pendingRelease]).to.deep.equal([2n, 4n, 2n, { amount: 1n, unlockAt: 300n }])
    expect(payers.get(PAYER)).to.include({ free: 3n, deposited: 10n, withdrawn: 5n, reserved: 4n, released: 2n })
  })

  it('a pending request is executable from unlockAt until unlockAt + window, exclusive', () => {
    const w = { amount: 1n, unlockAt: 1_000n }
    expect([999n, 1_000n, 1_999n, 2_000n].map(now => pendingState(w, 1_000n, now))).to.deep.equal(['locked', 'open', 'open', 'expired'])
    expect(pendingState({ amount: 0n, unlockAt: 0n }, 1_000n, 5n)).to.equal('none')
  })
})
