/**
 * The native escrow keeps what a payee contract refuses (PayoutDeferred) until it claims it (Claimed): the audit
 * rebuilds that from events, checks it against `unclaimedOf`, and says so under the table. Real anvil, the real
 * NativeBandwidthEscrow, a payee contract that refuses coins (contracts/test/HostileAccount.sol).
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Contract, getBytes, type ContractTransactionResponse } from 'ethers'
import { useChainFixture, fund, E18 } from '../chain/fixture.ts'
import { deployArtifact } from '../../../agent/chain/deploy.ts'
import { loadArtifact } from '../../../agent/chain/artifacts.ts'
import { nativeEscrowInterface } from '../../../agent/chain/abi.ts'
import { Ledger, type ChannelKey } from '../../../agent/ledger/index.ts'
import { HotKeySigner, receiptDigest, toAddress } from '../../../agent/pay/index.ts'
import { settleChannel } from '../../../agent/settle/executor.ts'
import { reconcile, auditTable, type AuditComponents } from '../../../agent/audit/index.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { BTTC_CHAIN_ID } from '../../../agent/pay/receipt.ts'

describe('audit: payouts a payee contract refused, on the native escrow', function () {
  const fx = useChainFixture({ asset: 'native', chainId: BTTC_CHAIN_ID })
  let dir: string
  let ledger: Ledger
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'seedpay-unclaimed-'))
    ledger = new Ledger({}, { path: join(dir, 'ledger.db') })
  })
  afterEach(() => {
    ledger.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('rebuilds them from events, matches unclaimedOf, shows them until claimed; a lost PayoutDeferred is a mismatch', async () => {
    await fund(fx.clients[1]!, 5n * E18)
    const hostile = await deployArtifact('HostileAccount', fx.wallets[0]!, [1 /* Refuse */], {})
    const payee = toAddress(hostile.address)
    const key: ChannelKey = { chainId: fx.anvil.chainId, escrow: toAddress(fx.deployment.escrow.hex), payer: toAddress(fx.wallets[1]!.address), payee }
    const digest = receiptDigest({ chainId: key.chainId, escrow: key.escrow }, { payer: key.payer, payee, cumulativeBytes: 10n, cumulativeAmount: 2n * E18 })
    ledger.record(key, 'payee', { bytes: 10n, amount: 2n * E18, sig: new HotKeySigner(ANVIL_KEYS[1]).signDigest(getBytes(digest)) })
    // anyone may send the settlement; the coins go to the payee, which refuses them
    await settleChannel({ ledger, chain: fx.clients[5]! }, key)

    const report = await reconcile({ chain: fx.readOnly, ledger }, { payee })
    expect(report.mismatches).to.deep.equal([])
    expect(report.totals.paid).to.equal(2n * E18) // it left the payer: paid, though not yet in the payee's hands
    expect(report.unclaimed).to.deep.equal({ account: payee, events: 2n * E18, onChain: 2n * E18 })
    expect(auditTable(report)).to.include('unclaimed payouts: 2 BTT waiting in the escrow')

    const ro = fx.readOnly
    const lossy: AuditComponents['chain'] = {
      chainId: ro.chainId, escrow: ro.escrow, feeUnit: ro.feeUnit, blockNumber: ro.blockNumber.bind(ro), unclaimedOf: ro.unclaimedOf.bind(ro),
      laneOf: ro.laneOf.bind(ro), balanceOf: ro.balanceOf.bind(ro), pendingRelease: ro.pendingRelease.bind(ro), withdrawalWindow: ro.withdrawalWindow.bind(ro),
      eventsSince: async (from, options) => {
        const page = await ro.eventsSince(from, options)
        return { ...page, events: page.events.filter(e => e.name !== 'PayoutDeferred') }
      }
    }
    const lost = await reconcile({ chain: lossy, ledger }, { payee })
    expect(lost.mismatches.map(m => [m.kind, m.payee, m.chain, m.ledger])).to.deep.equal([['unclaimed', payee, 0n, 2n * E18]])

    const contract = new Contract(hostile.address, loadArtifact('HostileAccount').abi, fx.wallets[0])
    const tx = await contract.getFunction('exec')(fx.deployment.escrow.hex, nativeEscrowInterface().encodeFunctionData('claim', [fx.wallets[7]!.address])) as ContractTransactionResponse
    await tx.wait()
    const claimed = await reconcile({ chain: fx.readOnly, ledger }, { payee })
    expect(claimed.mismatches).to.deep.equal([])
    expect(claimed.unclaimed).to.deep.equal({ account: payee, events: 0n, onChain: 0n })
    expect(auditTable(claimed)).not.to.include('unclaimed payouts')
  })
})
