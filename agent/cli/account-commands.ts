/**
 * `seedpay account | mint | deposit | withdraw request|cancel|execute | signer set|new | settle`: the money side of the
 * CLI. Thin: validate, connect (chain-options.ts), call the EscrowClient or the settlement scheduler, print.
 * Amounts are BTT with up to 18 decimals, parsed exactly (amounts.ts); `--json` prints one JSON object.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { Wallet } from 'ethers'
import { MAX_BATCH_SIZE, toTronAddress, type Withdrawal } from '../chain/index.ts'
import { pendingState, type PendingState } from '../audit/index.ts'
import { toAddress, type Address } from '../pay/index.ts'
import { SettlementScheduler, type SettlementEvents } from '../settle/index.ts'
import { formatBtt, parseBtt } from './amounts.ts'
import { explainChainError } from './chain-errors.ts'
import type { ChainFlags, ChainSession } from './chain-options.ts'
import { chainNow } from './chain-time.ts'
import { CliError } from './errors.ts'
import { intOption } from './flags.ts'
import { cliLogger, defaultLogFile } from './logging.ts'
import { ledgerPathFor, openOwnLedger, readLedger } from './ledger-file.ts'
import { asCliError } from './key-commands.ts'
import { encryptKeystore, getPassphrase } from '../keys/index.ts'
import { checkAddress, cmd, iso, print, txLines, withChain, type Out } from './command-helpers.ts'

const ZERO = '0x0000000000000000000000000000000000000000'

export function registerAccountCommands (program: Command): void {
  cmd(program.command('account')
    .description('show an account: wallet and escrow balance, pending withdrawal, hot signer')
    .option('--address <address>', 'show this account instead of the key\'s (needs no key)'))
    .action(async (o: ChainFlags & Out & { address?: string }) => {
      if (o.address !== undefined) checkAddress('--address', o.address) // bad input fails before any connection
      await withChain(o, o.address === undefined ? 'address' : 'optional', async s => { await showAccount(s, o) })
    })

  cmd(program.command('deposit')
    .description('put BTT into the escrow (approves the escrow for the amount first if needed)')
    .argument('<amount>', 'BTT, e.g. 10 or 0.5 (up to 18 decimals)')
    // so "-1" reaches the amount parser (and gets a clear "negative" error) instead of "unknown option"
    .allowUnknownOption())
    .action(async (amountText: string, o: ChainFlags & Out) => {
      const amount = parseBtt('amount', amountText)
      await withChain(o, 'sign', async s => {
        const account = s.account!
        const wallet = await s.client.tokenBalanceOf(account)
        if (wallet < amount) throw new CliError(`your wallet holds ${formatBtt(wallet)} BTT, less than ${formatBtt(amount)}`, 'deposit at most your token balance (see `seedpay account`)', 1)
        const txIds: Record<string, string> = {}
        if (await s.client.allowance(account) < amount) txIds['approve'] = (await s.client.approve(amount)).txId
        txIds['deposit'] = (await s.client.deposit(amount)).txId
        const balance = await s.client.balanceOf(account)
        print(o, { action: 'deposit', account, amount: formatBtt(amount), escrowBalance: formatBtt(balance), txIds },
          `deposited ${formatBtt(amount)} BTT (${txLines(txIds)})\nescrow balance ${formatBtt(balance)} BTT`)
      })
    })

  cmd(program.command('mint')
    .description('mint TestBTT to your account (local chain and Nile only: their token is TestBTT with an open mint)')
    .argument('<amount>', 'BTT')
    .allowUnknownOption())
    .action(async (amountText: string, o: ChainFlags & Out) => {
      const amount = parseBtt('amount', amountText)
      if (o.network === 'mainnet') throw new CliError('mainnet\'s token is real BTT: nobody can mint it', 'buy BTT and send it to your account', 2)
      await withChain(o, 'sign', async s => {
        const account = s.account!
        let tx
        try {
          tx = await s.client.mintTestBTT(account, amount)
        } catch (err) {
          const e = explainChainError(err)
          throw e instanceof CliError ? e : new CliError(`minting failed: ${(err as Error).message.split('\n')[0] ?? ''}`, 'only TestBTT (deployed on the local chain and Nile) can be minted', 1)
        }
        const wallet = await s.client.tokenBalanceOf(account)
        print(o, { action: 'mint', account, amount: formatBtt(amount), tokenBalance: formatBtt(wallet), txId: tx.txId }, `minted ${formatBtt(amount)} TestBTT (tx ${tx.txId}); wallet ${formatBtt(wallet)} BTT`)
      })
    })

  const withdraw = program.command('withdraw').description('take BTT out of the escrow in two steps: request, wait the delay, execute')
  cmd(withdraw.command('request')
    .description('announce a withdrawal; it unlocks after the escrow\'s delay (payees may settle until then)')
    .argument('<amount>', 'BTT, or "all" for the whole escrow balance')
    .allowUnknownOption())
    .action(async (amountText: string, o: ChainFlags & Out) => {
      const fixed = amountText.trim().toLowerCase() === 'all' ? null : parseBtt('amount', amountText)
      await withChain(o, 'sign', async s => {
        const account = s.account!
        const amount = fixed ?? await s.client.balanceOf(account)
        if (amount === 0n) throw new CliError('your escrow balance is 0', 'nothing to withdraw', 1)
        const tx = await s.client.requestWithdrawal(amount)
        const w = await s.client.pendingWithdrawal(account)
        print(o, { action: 'withdraw-request', account, amount: formatBtt(w.amount), unlockAt: iso(w.unlockAt), txId: tx.txId },
          `withdrawal of ${formatBtt(w.amount)} BTT requested (tx ${tx.txId})\nunlocks at ${iso(w.unlockAt)}; then run \`seedpay withdraw execute\``)
      })
    })
  cmd(withdraw.command('cancel').description('cancel the pending withdrawal'))
    .action(async (o: ChainFlags & Out) => {
      await withChain(o, 'sign', async s => {
        const tx = await s.client.cancelWithdrawal()
        print(o, { action: 'withdraw-cancel', account: s.account, txId: tx.txId }, `withdrawal cancelled (tx ${tx.txId})`)
      })
    })
  cmd(withdraw.command('execute').description('pay out the pending withdrawal once it has unlocked'))
    .action(async (o: ChainFlags & Out) => {
      await withChain(o, 'sign', async s => {
        const account = s.account!
        const before = await s.client.tokenBalanceOf(account)
        const tx = await s.client.withdraw()
        const received = (await s.client.tokenBalanceOf(account)) - before
        print(o, { action: 'withdraw-execute', account, amount: formatBtt(received), txId: tx.txId }, `withdrew ${formatBtt(received)} BTT (tx ${tx.txId})`)
      })
    })

  const signer = program.command('signer').description('the hot key that signs receipts for your account, so the key holding the money stays cold')
  cmd(signer.command('set')
    .description('name the hot key (address) that may sign receipts for your account')
    .argument('<address>', 'the hot key\'s address, 0x… or T…'))
    .action(async (addressText: string, o: ChainFlags & Out) => {
      const hot = checkAddress('address', addressText)
      await withChain(o, 'sign', async s => {
        const tx = await s.client.setSigner(hot)
        print(o, { action: 'signer-set', account: s.account, signer: hot, txId: tx.txId }, `signer of ${s.account ?? ''} is now ${hot} (tx ${tx.txId})`)
      })
    })
  cmd(signer.command('new')
    .description('generate a hot key, save it to a file (mode 600) and register it as your signer')
    .requiredOption('--out <file>', 'where to write the new hot key (must not exist)')
    .option('--keystore', 'write it as an encrypted keystore JSON instead of hex (new passphrase: --passphrase-file, SEEDPAY_PASSPHRASE or a prompt)', false))
    .action(async (o: ChainFlags & Out & { out: string, keystore: boolean }) => {
      const out = resolve(o.out)
      if (existsSync(out)) throw new CliError(`${out} already exists`, 'pick a new --out path; seedpay never overwrites a key file', 2)
      await withChain(o, 'sign', async s => {
        const hot = Wallet.createRandom()
        const content = o.keystore ? await newKeystore(hot.privateKey, out, o) : hot.privateKey + '\n'
        try {
          writeFileSync(out, content, { mode: 0o600, flag: 'wx' })
        } catch (err) {
          throw new CliError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check the directory exists and is writable', 2)
        }
        const address = toAddress(hot.address)
        let tx
        try {
          tx = await s.client.setSigner(address)
        } catch (err) {
          const e = explainChainError(err)
          const why = e instanceof Error ? e.message : String(e)
          throw new CliError(`saved the hot key ${address} to ${out}, but registering it failed: ${why}`, `run \`seedpay signer set ${address}\` once the problem is fixed`, 1)
        }
        print(o, { action: 'signer-new', account: s.account, signer: address, keyFile: out, txId: tx.txId },
          `new hot key ${address} saved to ${out} and registered as the signer of ${s.account ?? ''} (tx ${tx.txId})\nuse it with \`seedpay get --max-price … --signer-key ${o.out}\``)
      })
    })

  cmd(program.command('settle')
    .description('cash every receipt in the ledger that pays you (as payee), batched; prints tx ids and amounts')
    .option('--max-batch <n>', `most receipts per settleBatch (1–${MAX_BATCH_SIZE})`, '100'))
    .action(async (o: ChainFlags & Out & { maxBatch: string }) => {
      const maxBatch = intOption('--max-batch', o.maxBatch, 1, MAX_BATCH_SIZE)
      await withChain(o, 'sign', async s => { await settleAll(s, o, maxBatch) })
    })
}

/** `signer new --keystore`: the hot key encrypted with a new passphrase (asked twice on a terminal). */
async function newKeystore (privateKey: string, out: string, o: ChainFlags): Promise<string> {
  try {
    const passphrase = await getPassphrase(out, true, o.passphraseFile !== undefined ? { passphraseFile: o.passphraseFile } : {})
    return await encryptKeystore(privateKey, passphrase) + '\n'
  } catch (err) {
    throw asCliError(err)
  }
}

async function showAccount (s: ChainSession, o: Out & { address?: string }): Promise<void> {
  const account = o.address !== undefined ? checkAddress('--address', o.address) : s.account!
  const c = s.client
  // The payees this account pays on this escrow, from its ledger (if it has one: never create it here).
  const payees: Address[] = []
  const ledger = readLedger(ledgerPathFor(s.target, account))
  if (ledger !== null) {
    try {
      const escrow = toAddress(c.escrow)
      for (const ch of ledger.channels()) {
        if (ch.role === 'payer' && ch.key.payer === account && ch.key.escrow === escrow && ch.key.chainId === s.chainId) payees.push(ch.key.payee)
      }
    } finally {
      ledger.close()
    }
  }
  const [token, wallet, escrowBalance, withdrawal, signer, delay, window, now, laneRows] = await Promise.all([
    c.token(), c.tokenBalanceOf(account), c.balanceOf(account), c.pendingWithdrawal(account), c.signerOf(account), c.withdrawalDelay(),
    c.withdrawalWindow(), chainNow(s.target),
    Promise.all(payees.map(async payee => {
      const [{ lane, paidOut }, release] = await Promise.all([c.laneOf(account, payee), c.pendingRelease(account, payee)])
      return { payee, lane, paidOut, release }
    }))
  ])
  const pendingOf = (w: Withdrawal): { amount: string, unlockAt: string, expiresAt: string, state: Exclude<PendingState, 'none'> } | null => {
    const state = pendingState(w, window, now)
    return state === 'none' ? null : { amount: formatBtt(w.amount), unlockAt: iso(w.unlockAt), expiresAt: iso(w.unlockAt + window), state }
  }
  const pendingText = (p: NonNullable<ReturnType<typeof pendingOf>>, run: string): string => ({
    locked: `${p.amount} BTT, unlocks at ${p.unlockAt} (then ${run} before ${p.expiresAt})`,
    open: `${p.amount} BTT, unlocked: ${run} before ${p.expiresAt}`,
    expired: `${p.amount} BTT, EXPIRED at ${p.expiresAt} (it can no longer be executed: request again, or cancel)`
  })[p.state]
  const pending = pendingOf(withdrawal)
  const lanes = laneRows.map(r => ({ payee: r.payee, lane: formatBtt(r.lane), paidOut: formatBtt(r.paidOut), release: pendingOf(r.release) }))
  const hot = signer.signer.toLowerCase() === ZERO ? null : signer.signer
  const previous = signer.previous.toLowerCase() === ZERO ? null : { address: signer.previous, validUntil: iso(signer.previousValidUntil) }
  const result = {
    account, accountBase58: toTronAddress(account), network: s.target.network, chainId: s.chainId.toString(), escrow: s.client.escrow, token,
    tokenBalance: formatBtt(wallet), escrowBalance: formatBtt(escrowBalance), pendingWithdrawal: pending, signer: hot, previousSigner: previous,
    withdrawalDelaySeconds: Number(delay), withdrawalWindowSeconds: Number(window), lanes
  }
  print(o, result, [
    `account      ${account} (${result.accountBase58})`,
    `network      ${s.target.network}, chain ${s.chainId}, escrow ${s.client.escrow}`,
    `wallet       ${formatBtt(wallet)} BTT (token ${token})`,
    `in escrow    ${formatBtt(escrowBalance)} BTT free (any seeder's receipts can take it)`,
    `withdrawing  ${pending === null ? 'nothing' : pendingText(pending, '`seedpay withdraw execute`')}`,
    `delays       withdrawals and lane releases unlock ${Number(delay)} s after the request and stay executable ${Number(window)} s`,
    `signer       ${hot ?? 'none: your own key signs receipts'}${previous === null ? '' : ` (previous ${previous.address} counts until ${previous.validUntil})`}`,
    `lanes        ${lanes.length === 0 ? 'none (no seeders in the ledger)' : `${lanes.length} seeder(s) in the ledger`}`,
    ...lanes.map(l => `  ${l.payee}  lane ${l.lane} BTT  paid ${l.paidOut} BTT${l.release === null ? '' : `  releasing ${pendingText(l.release, `\`seedpay lane release execute ${l.payee}\``)}`}`)
  ].join('\n'))
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
    const txs = confirmed.map(e => ({
      txId: e.txId,
      method: e.batch ? 'settleBatch' : 'settle',
      total: formatBtt(e.total),
      payers: e.entries.map(x => ({ payer: x.payer, bytes: x.bytes.toString(), receiptAmount: formatBtt(x.amount), paid: formatBtt(e.paid.get(x.payer) ?? 0n) }))
    }))
    const total = confirmed.reduce((t, e) => t + e.total, 0n)
    const text = txs.length === 0
      ? 'nothing to settle: every receipt in the ledger is already paid (or its payer has no balance)'
      : txs.map(t => `${t.method} ${t.txId}: ${t.total} BTT\n${t.payers.map(p => `  ${p.payer} paid ${p.paid} BTT (receipt ${p.receiptAmount} BTT for ${p.bytes} bytes)`).join('\n')}`).join('\n') +
        `\nsettled ${formatBtt(total)} BTT in ${txs.length} transaction(s)`
    print(o, { action: 'settle', payee, total: formatBtt(total), transactions: txs, failed: summary.failed }, text)
    if (summary.failed.length > 0) {
      const why = failed.at(-1)?.error
      throw new CliError(`settling ${summary.failed.length} payer(s) failed: ${why === undefined ? '?' : String((explainChainError(why) as Error).message)}`, 'run `seedpay settle` again; receipts are cumulative, so a retry never pays twice', 1)
    }
  } finally {
    ledger.close()
  }
}
