/**
 * npm run demo — the money flow of seedpay on a local chain, end to end:
 * start anvil (chain id = Nile), deploy TestBTT + BandwidthEscrow from the tronbox artifacts, fund a payer,
 * sign bandwidth receipts for two payees, settle one alone and one in a batch, print balances and events.
 */
import { JsonRpcProvider, Wallet, getBytes, hexlify } from 'ethers'
import { startAnvil, ANVIL_KEYS, type Anvil } from '../agent/chain/anvil.ts'
import { deployLocal } from '../agent/chain/deploy.ts'
import { writeDeployment } from '../agent/chain/deployments.ts'
import { EvmChain } from '../agent/chain/evm-chain.ts'
import type { EscrowEvent } from '../agent/chain/client.ts'
import { HotKeySigner } from '../agent/pay/signer.ts'
import { MIB, amountFor } from '../agent/pay/price.ts'
import { receiptDigest, type Receipt } from '../agent/pay/receipt.ts'
import { table, btt, short, mib } from './demo/table.ts'

const E18 = 10n ** 18n
/** 0.01 BTT per MiB. */
const PRICE_PER_MIB = E18 / 100n

async function main (): Promise<void> {
  const step = (text: string): void => { console.log(`\n▶ ${text}`) }
  step('Starting a local chain (anvil, chain id 3448148188 = Nile)')
  let anvil: Anvil | undefined
  let provider: JsonRpcProvider | undefined
  try {
    anvil = await startAnvil()
    provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
    const [deployer, payerKey, payeeAKey, payeeBKey, hotKey] = ANVIL_KEYS.slice(0, 5).map(k => new Wallet(k, provider))
    const chainId = anvil.chainId

    step('Deploying TestBTT and BandwidthEscrow (tronbox artifacts, withdrawal delay 24 h)')
    const deployment = await deployLocal(deployer!, { chainId })
    const file = writeDeployment(deployment)
    console.log(`  token  ${deployment.token.hex}\n  escrow ${deployment.escrow.hex}\n  saved  ${file}`)

    const connect = async (w: Wallet): Promise<EvmChain> =>
      await EvmChain.create({ provider: provider!, signer: w }, { escrow: deployment.escrow.hex, chainId })
    const payer = await connect(payerKey!)
    const payeeA = await connect(payeeAKey!)
    const payeeB = await connect(payeeBKey!)

    step('Funding the payer: mint 1,000 tBTT, approve, deposit 100 BTT, name a hot signing key')
    const { Contract } = await import('ethers')
    const { loadArtifact } = await import('../agent/chain/artifacts.ts')
    const token = new Contract(deployment.token.hex, loadArtifact('TestBTT').abi, payerKey)
    await (await token.getFunction('mint')(payerKey!.address, 1000n * E18)).wait()
    await payer.approve(100n * E18)
    await payer.deposit(100n * E18)
    await payer.setSigner(hotKey!.address)

    step('The payer\'s hot key signs cumulative receipts as verified bytes arrive (price 0.01 BTT/MiB)')
    const hot = new HotKeySigner(hotKey!.privateKey)
    const domain = { chainId, escrow: deployment.escrow.hex }
    const sign = (r: Receipt): string => hexlify(hot.signDigest(getBytes(receiptDigest(domain, r))))
    const receiptFor = (payee: string, bytes: bigint): Receipt =>
      ({ payer: payerKey!.address, payee, cumulativeBytes: bytes, cumulativeAmount: amountFor(bytes, PRICE_PER_MIB) })
    const receipts: Array<{ to: string, receipt: Receipt }> = []
    for (const mibs of [64n, 256n, 512n]) receipts.push({ to: 'A', receipt: receiptFor(payeeAKey!.address, mibs * MIB) })
    for (const mibs of [100n, 300n]) receipts.push({ to: 'B', receipt: receiptFor(payeeBKey!.address, mibs * MIB) })
    console.log(table(['payee', 'cumulative bytes', 'cumulative amount'],
      receipts.map(({ to, receipt }) => [to, mib(receipt.cumulativeBytes), btt(receipt.cumulativeAmount)])))

    step('Payee A settles its newest receipt alone; payee B settles in a batch (one token transfer)')
    const newestA = receipts.filter(r => r.to === 'A').at(-1)!.receipt
    const newestB = receipts.filter(r => r.to === 'B').at(-1)!.receipt
    const a = await payeeA.settle(newestA, sign(newestA))
    const b = await payeeB.settleBatch(payeeBKey!.address, [{ receipt: newestB, signature: sign(newestB) }])
    console.log(table(['call', 'tx', 'gas'], [
      ['settle (A)', short(a.txId), a.gasUsed.toLocaleString('en-US')],
      ['settleBatch (B)', short(b.txId), b.gasUsed.toLocaleString('en-US')]
    ]))

    step('A replayed receipt pays nothing')
    try {
      await payeeA.settle(newestA, sign(newestA))
      console.log('  unexpected: the replay was accepted')
    } catch (err) {
      console.log(`  refused by the escrow: ${(err as Error).name} — ${(err as Error).message.split('\n')[0]}`)
    }

    step('Balances')
    const rows: string[][] = []
    for (const [name, address] of [['payer', payerKey!.address], ['payee A', payeeAKey!.address], ['payee B', payeeBKey!.address]] as const) {
      rows.push([name, short(address), btt(await payer.tokenBalanceOf(address)), btt(await payer.balanceOf(address))])
    }
    rows.push(['escrow', short(deployment.escrow.hex), btt(await payer.tokenBalanceOf(deployment.escrow.hex)), ''])
    console.log(table(['who', 'address', 'wallet', 'in escrow'], rows))

    step('Escrow events (the audit trail)')
    const { events } = await payer.eventsSince(deployment.escrowBlock ?? 0)
    console.log(table(['block', 'event', 'details'], events.map(e => [String(e.blockNumber), e.name, describe(e)])))
    console.log('\n✔ Demo complete: the payees were paid exactly what the newest receipts said; the chain is stopped.')
  } finally {
    provider?.destroy()
    await anvil?.stop()
  }
}

function describe (e: EscrowEvent): string {
  switch (e.name) {
    case 'Deposited': return `${short(e.payer)} +${btt(e.amount)}`
    case 'WithdrawalRequested': return `${short(e.payer)} ${btt(e.amount)} unlocks at ${new Date(Number(e.unlockAt) * 1000).toISOString()}`
    case 'WithdrawalCancelled': return short(e.payer)
    case 'Withdrawn': return `${short(e.payer)} ${btt(e.amount)}`
    case 'SignerChanged': return `${short(e.payer)} signs with ${short(e.signer)}`
    case 'Settled': return `${short(e.payer)} → ${short(e.payee)} paid ${btt(e.paid)} for ${mib(e.cumulativeBytes)} (cumulative ${btt(e.cumulativeAmount)})${e.batchIndex === undefined ? '' : ' [batch]'}`
    case 'Bounced': return `${short(e.payer)} → ${short(e.payee)} unpaid ${btt(e.unpaid)}`
    case 'BatchSettled': return `to ${short(e.payee)}: ${btt(e.totalPaid)} in one transfer, ${e.settledCount} settled, ${e.skipped} skipped`
  }
}

main().catch((err: unknown) => {
  console.error(`\n✘ demo failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
})
