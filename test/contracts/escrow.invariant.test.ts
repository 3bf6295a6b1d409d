import { expect } from 'chai'
import fc from 'fast-check'
import type { Wallet } from 'ethers'
import {
  useEscrowFixture, revertData, escrowAs, send, signReceipt, batchEntry, packBatch, compact, reserveEntries, laneOf,
  DELAY, E18
} from './fixture.ts'
import { ESCROW_KINDS, escrowContract, depositArgs, assetBalance, escrowHolds } from './fixture.ts'
import { decodeEscrowLog } from '../../agent/chain/events.ts'
import type { EscrowEvent } from '../../agent/chain/client.ts'
import type { Receipt } from '../../agent/pay/receipt.ts'

/** Reverts a random sequence may legitimately hit; anything else fails the property. */
const EXPECTED_REVERTS = ['NothingToSettle', 'WithdrawalLocked', 'WithdrawalExpired', 'NoWithdrawalPending', 'InsufficientBalance',
  'SignerUnchanged', 'SignerRotationPending', 'InvalidSigner', 'InsufficientLane', 'NoReleasePending', 'ReleaseLocked', 'ReleaseExpired']

type Action =
  | { kind: 'deposit', payer: number, amount: bigint }
  | { kind: 'sign', payer: number, payee: number, bytes: bigint, amount: bigint, byHotKey: boolean }
  /** `pick` chooses among the pairs with signed receipts (so settlements are frequent, not 1 in 9). */
  | { kind: 'settle', pick: number, newest: boolean, compact: boolean }
  /** Every payer's newest receipt to the payee of the picked signed pair. */
  | { kind: 'batch', pick: number }
  | { kind: 'requestWithdrawal', payer: number, amount: bigint }
  | { kind: 'withdraw', payer: number }
  | { kind: 'cancel', payer: number }
  | { kind: 'setSigner', payer: number, key: number }
  | { kind: 'wait', seconds: bigint }
  | { kind: 'reserve', payer: number, entries: Array<{ payee: number, amount: bigint }> }
  /** Of a reserved pair: `share` % of its lane (above 100 %: InsufficientLane). */
  | { kind: 'requestRelease', pick: number, share: bigint }
  /** Of a pair with a release requested. */
  | { kind: 'cancelRelease', pick: number }
  | { kind: 'release', pick: number }

const P = 3
const idx = fc.nat({ max: P - 1 })
const pick = fc.nat({ max: 8 })
// Weights keep the lane paths (settle, request, wait, release) frequent in 3–12 actions.
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), payer: idx, amount: fc.bigInt({ min: 1n, max: 50n * E18 }) }),
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('sign' as const), payer: idx, payee: idx, bytes: fc.bigInt({ min: 1n, max: 1n << 30n }), amount: fc.bigInt({ min: 1n, max: 20n * E18 }), byHotKey: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick, newest: fc.boolean(), compact: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('batch' as const), pick }) },
  fc.record({ kind: fc.constant('requestWithdrawal' as const), payer: idx, amount: fc.bigInt({ min: 1n, max: 60n * E18 }) }),
  fc.record({ kind: fc.constant('withdraw' as const), payer: idx }),
  fc.record({ kind: fc.constant('cancel' as const), payer: idx }),
  fc.record({ kind: fc.constant('setSigner' as const), payer: idx, key: fc.nat({ max: 2 }) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), seconds: fc.constantFrom(60n, DELAY / 2n, DELAY, 3n * DELAY / 2n) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reserve' as const), payer: idx, entries: fc.array(fc.record({ payee: idx, amount: fc.bigInt({ min: 1n, max: 20n * E18 }) }), { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('requestRelease' as const), pick, share: fc.bigInt({ min: 1n, max: 120n }) }) },
  fc.record({ kind: fc.constant('cancelRelease' as const), pick }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), pick }) }
)

/**
 * Before the actions, payer i deposits `deposit` (0: nothing) and reserves `lane` % of it for payee i, so most
 * sequences settle real money and a third of the signed pairs have a lane.
 */
type Opening = Array<{ deposit: bigint, lane: bigint }>
const opening: fc.Arbitrary<Opening> = fc.array(
  fc.record({ deposit: fc.bigInt({ min: 0n, max: 50n * E18 }), lane: fc.bigInt({ min: 0n, max: 100n }) }), { minLength: P, maxLength: P })

/** The `pick`-th of `keys` (any order, but the same for the same run), or undefined when there are none. */
function choose (keys: Iterable<string>, pick: number): [number, number] | undefined {
  const all = [...keys]
  if (all.length === 0) return undefined
  const [i, j] = all[pick % all.length]!.split(':').map(Number) as [number, number]
  return [i, j]
}

/** The sequence's outcome, for the checks after it. */
interface Run {
  signed: Map<string, Array<{ receipt: Receipt, sig: string }>>
  /** Every escrow event of every successful transaction, decoded by agent/chain (batch records expanded), in order. */
  events: EscrowEvent[]
  /** What each payee held of the asset before the sequence (coins on the native chain; no tokens). */
  payeeStart: bigint[]
}

/**
 * Lanes rebuilt from events alone, the way IBandwidthEscrow documents for the audit: LaneReserved sets the lane,
 * LaneReleased takes out its amount, and a payment `paid` on the pair took min(paid, lane before) from the lane.
 */
function lanesFromEvents (events: readonly EscrowEvent[]): Map<string, bigint> {
  const lanes = new Map<string, bigint>()
  for (const e of events) {
    if (e.name !== 'LaneReserved' && e.name !== 'LaneReleased' && e.name !== 'Settled') continue
    const key = `${e.payer}>${e.payee}`
    const lane = lanes.get(key) ?? 0n
    if (e.name === 'LaneReserved') {
      expect(e.lane, `LaneReserved ${key}`).to.equal(lane + e.amount)
      lanes.set(key, e.lane)
    } else if (e.name === 'LaneReleased') {
      lanes.set(key, lane - e.amount)
    } else {
      lanes.set(key, lane - (e.paid < lane ? e.paid : lane))
    }
  }
  return lanes
}

for (const kind of ESCROW_KINDS) describe(`${escrowContract(kind)} invariants (property, fixed seed)`, () => {
  const fx = useEscrowFixture({ kind })

  // Block timestamps advance by 1 s per block, never with the wall clock: a transaction is then mined at the
  // timestamp its gas estimate ran at, so a release or withdrawal at the edge of its window cannot pass the
  // estimate and revert once mined (and a run replays exactly from its seed).
  before(async () => { await fx.provider.send('anvil_setBlockTimestampInterval', [1]) })
  async function wait (seconds: bigint): Promise<void> {
    const latest = (await fx.provider.getBlock('latest'))!.timestamp
    await fx.provider.send('evm_setNextBlockTimestamp', [latest + Number(seconds)])
    await fx.provider.send('evm_mine', [])
  }

  const payers = (): typeof fx.payers => fx.payers.slice(0, P)
  const payees = (): typeof fx.payees => fx.payees.slice(0, P)

  it('keeps what the escrow holds == Σ free balances + Σ lanes, lanes rebuildable from events, and never pays more than the newest signed amount', async function () {
    this.timeout(900_000)
    await fc.assert(fc.asyncProperty(opening, fc.array(action, { minLength: 3, maxLength: 12 }), async (start, actions) => {
      const snapshot = await fx.provider.send('evm_snapshot', []) as string
      try {
        await checkInvariants(await runSequence(start, actions))
      } finally {
        await fx.provider.send('evm_revert', [snapshot])
      }
    }), { seed: 424242, numRuns: 150 })
  })

  it('liveness: after any sequence, a valid receipt the pair\'s lane and free balance can cover settles its full amount', async function () {
    this.timeout(900_000)
    const last = fc.record({ payer: idx, payee: idx, share: fc.bigInt({ min: 1n, max: 100n }), inBatch: fc.boolean() })
    await fc.assert(fc.asyncProperty(opening, fc.array(action, { minLength: 3, maxLength: 12 }), last, async (start, actions, t) => {
      const snapshot = await fx.provider.send('evm_snapshot', []) as string
      try {
        await runSequence(start, actions)
        const [payer, payee] = [payers()[t.payer]!, payees()[t.payee]!]
        const [lane, paidOut] = await laneOf(fx, payer, payee)
        const free = await fx.escrow.getFunction('balanceOf')(payer.address) as bigint
        // Any share of the backing, at least 1 when there is any (and 1 wei from a fresh deposit when there is none).
        if (lane + free === 0n) await send(escrowAs(fx, payer), 'deposit', ...depositArgs(fx, 1n))
        const backing = lane + free === 0n ? 1n : lane + free
        const owed = backing * t.share / 100n === 0n ? 1n : backing * t.share / 100n
        const receipt: Receipt = { payer: payer.address, payee: payee.address, cumulativeBytes: 1n << 40n, cumulativeAmount: paidOut + owed }
        const sig = await signReceipt(fx, payer, receipt)
        const before = await assetBalance(fx, payee.address)
        if (t.inBatch) await send(escrowAs(fx, payee), 'settleBatch', payee.address, packBatch([batchEntry(receipt, sig)]))
        else await send(escrowAs(fx, payee), 'settle', receipt, sig)
        expect(await assetBalance(fx, payee.address)).to.equal(before + owed)
        const fromLane = owed < lane ? owed : lane
        expect(await laneOf(fx, payer, payee)).to.deep.equal([lane - fromLane, paidOut + owed])
      } finally {
        await fx.provider.send('evm_revert', [snapshot])
      }
    }), { seed: 171717, numRuns: 40 })
  })

  async function runSequence (start: Opening, actions: Action[]): Promise<Run> {
    const [payers_, payees_] = [payers(), payees()]
    const payeeStart = await Promise.all(payees_.map(async p => await assetBalance(fx, p.address)))
    const events: EscrowEvent[] = []
    const record = (receipt: import('ethers').TransactionReceipt): void => {
      for (const log of receipt.logs) {
        if (log.address.toLowerCase() !== fx.escrowAddress.toLowerCase()) continue
        events.push(...decodeEscrowLog(log, { blockNumber: log.blockNumber, txId: log.transactionHash, logIndex: log.index }))
      }
    }
    const sendAs = async (wallet: Wallet, method: string, ...args: unknown[]): Promise<void> => {
      record(await send(escrowAs(fx, wallet), method, ...args))
    }
    // Hot keys: a payer's key choice k maps to payers[3] or a payee wallet never used as payee here.
    const hotKeys: Wallet[] = [fx.payers[3]!, fx.payees[3]!, fx.deployer]
    const currentSigner: Array<Wallet | undefined> = Array<Wallet | undefined>(P).fill(undefined)
    const signed = new Map<string, Array<{ receipt: Receipt, sig: string }>>()
    const key = (a: number, b: number): string => `${a}:${b}`
    const reserved = new Set<string>()
    const releasing = new Set<string>()
    for (const [i, { deposit, lane }] of start.entries()) {
      if (deposit > 0n) await sendAs(payers_[i]!, 'deposit', ...depositArgs(fx, deposit))
      if (deposit * lane / 100n === 0n) continue
      await sendAs(payers_[i]!, 'reserve', reserveEntries([[payees_[i]!.address, deposit * lane / 100n]]))
      reserved.add(key(i, i))
    }

    for (const a of actions) {
      try {
        switch (a.kind) {
          case 'deposit':
            await sendAs(payers_[a.payer]!, 'deposit', ...depositArgs(fx, a.amount))
            break
          case 'sign': {
            const list = signed.get(key(a.payer, a.payee)) ?? []
            const last = list.at(-1)?.receipt
            const receipt: Receipt = {
              payer: payers_[a.payer]!.address,
              payee: payees_[a.payee]!.address,
              cumulativeBytes: (last?.cumulativeBytes ?? 0n) + a.bytes,
              cumulativeAmount: (last?.cumulativeAmount ?? 0n) + a.amount
            }
            const signer = a.byHotKey ? (currentSigner[a.payer] ?? payers_[a.payer]!) : payers_[a.payer]!
            list.push({ receipt, sig: await signReceipt(fx, signer, receipt) })
            signed.set(key(a.payer, a.payee), list)
            break
          }
          case 'settle': {
            const pair = choose(signed.keys(), a.pick)
            if (pair === undefined) break
            const list = signed.get(key(...pair))!
            const pick = a.newest ? list.at(-1)! : list[0]!
            await sendAs(payees_[pair[1]]!, 'settle', pick.receipt, a.compact ? compact(pick.sig) : pick.sig)
            break
          }
          case 'batch': {
            const pair = choose(signed.keys(), a.pick)
            if (pair === undefined) break
            const payee = pair[1]
            const entries = [0, 1, 2].flatMap(p => {
              const newest = signed.get(key(p, payee))?.at(-1)
              return newest === undefined ? [] : [batchEntry(newest.receipt, newest.sig)]
            })
            await sendAs(payees_[payee]!, 'settleBatch', payees_[payee]!.address, packBatch(entries))
            break
          }
          case 'requestWithdrawal':
            await sendAs(payers_[a.payer]!, 'requestWithdrawal', a.amount)
            break
          case 'withdraw':
            await sendAs(payers_[a.payer]!, 'withdraw')
            break
          case 'cancel':
            await sendAs(payers_[a.payer]!, 'cancelWithdrawal')
            break
          case 'setSigner':
            await sendAs(payers_[a.payer]!, 'setSigner', hotKeys[a.key]!.address)
            currentSigner[a.payer] = hotKeys[a.key]
            break
          case 'wait':
            await wait(a.seconds)
            break
          case 'reserve':
            await sendAs(payers_[a.payer]!, 'reserve', reserveEntries(a.entries.map(e => [payees_[e.payee]!.address, e.amount])))
            for (const e of a.entries) reserved.add(key(a.payer, e.payee))
            break
          case 'requestRelease': {
            // With nothing reserved, a request on pair 0:0 exercises InsufficientLane.
            const [i, j] = choose(reserved, a.pick) ?? [0, 0]
            const [lane] = await laneOf(fx, payers_[i]!, payees_[j]!)
            const amount = lane * a.share / 100n
            await sendAs(payers_[i]!, 'requestRelease', payees_[j]!.address, amount === 0n ? 1n : amount)
            releasing.add(key(i, j))
            break
          }
          case 'cancelRelease':
          case 'release': {
            const [i, j] = choose(releasing, a.pick) ?? [0, 0]
            await sendAs(payers_[i]!, a.kind, payees_[j]!.address)
            break
          }
        }
      } catch (err) {
        const data = revertData(err)
        const parsed = data === undefined ? null : fx.escrow.interface.parseError(data)
        if (parsed === null || !EXPECTED_REVERTS.includes(parsed.name)) throw err
      }
    }

    return { signed, events, payeeStart }
  }

  async function checkInvariants ({ signed, events, payeeStart }: Run): Promise<void> {
    const key = (a: number, b: number): string => `${a}:${b}`
    const rebuilt = lanesFromEvents(events)
    let held = 0n
    for (const p of payers()) held += await fx.escrow.getFunction('balanceOf')(p.address) as bigint
    for (let j = 0; j < P; j++) {
      let received = 0n
      for (let i = 0; i < P; i++) {
        const [payer, payee] = [payers()[i]!, payees()[j]!]
        const newest = signed.get(key(i, j))?.at(-1)?.receipt.cumulativeAmount ?? 0n
        const [lane, paid] = await laneOf(fx, payer, payee)
        expect(await fx.escrow.getFunction('paidOut')(payer.address, payee.address)).to.equal(paid)
        expect(paid <= newest, `pair ${i}->${j} paid ${paid} > signed ${newest}`).to.equal(true)
        expect(rebuilt.get(`${payer.address}>${payee.address}`) ?? 0n, `lane ${i}->${j} rebuilt from events`).to.equal(lane)
        received += paid
        held += lane
      }
      expect(await assetBalance(fx, payees()[j]!.address) - payeeStart[j]!).to.equal(received)
    }
    // The native escrow also holds what payees refused (none here: every payee is a plain account).
    expect(await escrowHolds(fx)).to.equal(held)
  }
})
