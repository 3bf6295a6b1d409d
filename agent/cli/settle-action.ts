/**
 * What `seedpay settle` (account-commands.ts) does: cash every receipt in the payee's ledger with the settlement
 * scheduler, batched, and print the transactions. A file of its own: the scheduler (and its logger) load only here.
 */
import { existsSync } from 'node:fs'
import { MAX_BATCH_SIZE } from '../chain/batch-size.ts'
import { SettlementScheduler, type SettlementEvents } from '../settle/index.ts'
import { feeText, formatBtt } from './amounts.ts'
import { groupThousands } from '../pay/btt.ts'
import { explainChainError } from './chain-errors.ts'
import type { ChainFlags, Out } from './chain-flags.ts'
import { feeCoin, type ChainSession } from './chain-options.ts'
import { CliError } from './errors.ts'
import { intOption } from './flags.ts'
import { defaultLogFile } from './log-flags.ts'
import { cliLogger } from './logging.ts'
import { ledgerPathFor, openOwnLedger } from './ledger-file.ts'
import { print, withChain } from './command-helpers.ts'

/** `seedpay settle [--max-batch <n>]`. */
export async function settle (o: ChainFlags & Out & { maxBatch: string }): Promise<void> {
  const maxBatch = intOption('--max-batch', o.maxBatch, 1, MAX_BATCH_SIZE)
  await withChain(o, 'sign', async s => { await settleAll(s, o, maxBatch) })
}

async function settleAll (s: ChainSession, o: Out, maxBatch: number): Promise<void> {
  const payee = s.account!
  const path = ledgerPathFor(s.target, payee)
  if (!existsSync(path)) throw new CliError(`no ledger at ${path}`, 'pass the ledger your seeder wrote with --ledger', 2)
  const ledger = openOwnLedger(path, payee)
  try {
    const logger = cliLogger({ logLevel: 'warn', logFile: defaultLogFile('settle') })
    const scheduler = new SettlementScheduler({ logger, ledger, chain: s.client }, { payee, watchtower: false, maxBatch })
    const confirmed: Array<SettlementEvents['settle:confirmed']> = []
    const failed: Array<SettlementEvents['settle:failed']> = []
    scheduler.on('settle:confirmed', e => confirmed.push(e))
    scheduler.on('settle:failed', e => failed.push(e))
    const summary = await scheduler.settleAll()
    const coin = feeCoin(s.target)
    const txs = confirmed.map(e => ({
      txId: e.txId,
      method: e.batch ? 'settleBatch' : 'settle',
      total: formatBtt(e.total),
      // what the transaction cost the payee: gas (TRON: energy) and the coin burnt for it
      gasUsed: e.gasUsed.toString(),
      fee: feeText(e.fee, coin),
      payers: e.entries.map(x => ({ payer: x.payer, bytes: x.bytes.toString(), receiptAmount: formatBtt(x.amount), paid: formatBtt(e.paid.get(x.payer) ?? 0n) }))
    }))
    const total = confirmed.reduce((t, e) => t + e.total, 0n)
    const fees = feeText(confirmed.reduce((t, e) => t + e.fee, 0n), coin)
    const text = txs.length === 0
      ? 'nothing to settle: every receipt in the ledger is already paid (or its payer has no balance)'
      : txs.map(t => `${t.method} ${t.txId}: ${t.total} BTT (${coin.gasName} ${groupThousands(t.gasUsed)}, fee ${t.fee})\n${t.payers.map(p => `  ${p.payer} paid ${p.paid} BTT (receipt ${p.receiptAmount} BTT for ${p.bytes} bytes)`).join('\n')}`).join('\n') +
        `\nsettled ${formatBtt(total)} BTT in ${txs.length} transaction(s), fees ${fees}`
    print(o, { action: 'settle', payee, total: formatBtt(total), fees, transactions: txs, failed: summary.failed }, text)
    if (summary.failed.length > 0) {
      const why = failed.at(-1)?.error
      throw new CliError(`settling ${summary.failed.length} payer(s) failed: ${why === undefined ? '?' : String((explainChainError(why) as Error).message)}`, 'run `seedpay settle` again; receipts are cumulative, so a retry never pays twice', 1)
    }
  } finally {
    ledger.close()
  }
}
