import { expect } from 'chai'
import fc from 'fast-check'
import type { Wallet } from 'ethers'
import {
  useEscrowFixture, revertData, escrowAs, send, signReceipt, batchEntry, packBatch, increaseTime, compact, DELAY, E18
} from './fixture.ts'
import type { Receipt } from '../../agent/pay/receipt.ts'

/** Reverts a random sequence may legitimately hit; anything else fails the property. */
const EXPECTED_REVERTS = ['NothingToSettle', 'WithdrawalLocked', 'NoWithdrawalPending', 'InsufficientBalance',
  'SignerUnchanged', 'SignerRotationPending', 'InvalidSigner']

type Action =
  | { kind: 'deposit', payer: number, amount: bigint }
  | { kind: 'sign', payer: number, payee: number, bytes: bigint, amount: bigint, byHotKey: boolean }
  | { kind: 'settle', payer: number, payee: number, newest: boolean, compact: boolean }
  | { kind: 'batch', payee: number, payers: number[] }
  | { kind: 'requestWithdrawal', payer: number, amount: bigint }
  | { kind: 'withdraw', payer: number }
  | { kind: 'cancel', payer: number }
  | { kind: 'setSigner', payer: number, key: number }
  | { kind: 'wait', seconds: bigint }

const P = 3
const idx = fc.nat({ max: P - 1 })
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), payer: idx, amount: fc.bigInt({ min: 1n, max: 50n * E18 }) }),
  fc.record({ kind: fc.constant('sign' as const), payer: idx, payee: idx, bytes: fc.bigInt({ min: 1n, max: 1n << 30n }), amount: fc.bigInt({ min: 1n, max: 20n * E18 }), byHotKey: fc.boolean() }),
  fc.record({ kind: fc.constant('settle' as const), payer: idx, payee: idx, newest: fc.boolean(), compact: fc.boolean() }),
  fc.record({ kind: fc.constant('batch' as const), payee: idx, payers: fc.uniqueArray(idx, { minLength: 1, maxLength: P }) }),
  fc.record({ kind: fc.constant('requestWithdrawal' as const), payer: idx, amount: fc.bigInt({ min: 1n, max: 60n * E18 }) }),
  fc.record({ kind: fc.constant('withdraw' as const), payer: idx }),
  fc.record({ kind: fc.constant('cancel' as const), payer: idx }),
  fc.record({ kind: fc.constant('setSigner' as const), payer: idx, key: fc.nat({ max: 2 }) }),
  fc.record({ kind: fc.constant('wait' as const), seconds: fc.constantFrom(60n, DELAY / 2n, DELAY) })
)

describe('BandwidthEscrow invariants (property, fixed seed)', () => {
  const fx = useEscrowFixture()

  it('keeps token.balanceOf(escrow) == Σ balances and never pays more than the newest signed amount', async function () {
    this.timeout(600_000)
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 3, maxLength: 10 }), async (actions) => {
      const snapshot = await fx.provider.send('evm_snapshot', []) as string
      try {
        await runSequence(actions)
      } finally {
        await fx.provider.send('evm_revert', [snapshot])
      }
    }), { seed: 424242, numRuns: 200 })
  })

  async function runSequence (actions: Action[]): Promise<void> {
    const payers = fx.payers.slice(0, P)
    const payees = fx.payees.slice(0, P)
    // Hot keys: a payer's key choice k maps to payers[3] or a payee wallet never used as payee here.
    const hotKeys: Wallet[] = [fx.payers[3]!, fx.payees[3]!, fx.deployer]
    const currentSigner: Array<Wallet | undefined> = Array<Wallet | undefined>(P).fill(undefined)
    const signed = new Map<string, Array<{ receipt: Receipt, sig: string }>>()
    const key = (a: number, b: number): string => `${a}:${b}`

    for (const a of actions) {
      try {
        switch (a.kind) {
          case 'deposit':
            await send(escrowAs(fx, payers[a.payer]!), 'deposit', a.amount)
            break
          case 'sign': {
            const list = signed.get(key(a.payer, a.payee)) ?? []
            const last = list.at(-1)?.receipt
            const receipt: Receipt = {
              payer: payers[a.payer]!.address,
              payee: payees[a.payee]!.address,
              cumulativeBytes: (last?.cumulativeBytes ?? 0n) + a.bytes,
              cumulativeAmount: (last?.cumulativeAmount ?? 0n) + a.amount
            }
            const signer = a.byHotKey ? (currentSigner[a.payer] ?? payers[a.payer]!) : payers[a.payer]!
            list.push({ receipt, sig: await signReceipt(fx, signer, receipt) })
            signed.set(key(a.payer, a.payee), list)
            break
          }
          case 'settle': {
            const list = signed.get(key(a.payer, a.payee))
            if (list === undefined) break
            const pick = a.newest ? list.at(-1)! : list[0]!
            await send(escrowAs(fx, payees[a.payee]!), 'settle', pick.receipt, a.compact ? compact(pick.sig) : pick.sig)
            break
          }
          case 'batch': {
            const entries = a.payers.flatMap(p => {
              const newest = signed.get(key(p, a.payee))?.at(-1)
              return newest === undefined ? [] : [batchEntry(newest.receipt, newest.sig)]
            })
            if (entries.length > 0) await send(escrowAs(fx, payees[a.payee]!), 'settleBatch', payees[a.payee]!.address, packBatch(entries))
            break
          }
          case 'requestWithdrawal':
            await send(escrowAs(fx, payers[a.payer]!), 'requestWithdrawal', a.amount)
            break
          case 'withdraw':
            await send(escrowAs(fx, payers[a.payer]!), 'withdraw')
            break
          case 'cancel':
            await send(escrowAs(fx, payers[a.payer]!), 'cancelWithdrawal')
            break
          case 'setSigner':
            await send(escrowAs(fx, payers[a.payer]!), 'setSigner', hotKeys[a.key]!.address)
            currentSigner[a.payer] = hotKeys[a.key]
            break
          case 'wait':
            await increaseTime(fx, a.seconds)
            break
        }
      } catch (err) {
        const data = revertData(err)
        const parsed = data === undefined ? null : fx.escrow.interface.parseError(data)
        if (parsed === null || !EXPECTED_REVERTS.includes(parsed.name)) throw err
      }
    }

    let sumBalances = 0n
    for (const p of payers) sumBalances += await fx.escrow.getFunction('balanceOf')(p.address) as bigint
    expect(await fx.token.getFunction('balanceOf')(fx.escrowAddress)).to.equal(sumBalances)
    for (let j = 0; j < P; j++) {
      let received = 0n
      for (let i = 0; i < P; i++) {
        const newest = signed.get(key(i, j))?.at(-1)?.receipt.cumulativeAmount ?? 0n
        const paid = await fx.escrow.getFunction('paidOut')(payers[i]!.address, payees[j]!.address) as bigint
        expect(paid <= newest, `pair ${i}->${j} paid ${paid} > signed ${newest}`).to.equal(true)
        received += paid
      }
      expect(await fx.token.getFunction('balanceOf')(payees[j]!.address)).to.equal(received)
    }
  }
})
