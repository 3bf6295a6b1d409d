/**
 * What the money commands of account-commands.ts do (settle's is in settle-action.ts): validate, connect
 * (chain-options.ts), call the EscrowClient, print. Amounts are BTT with up to 18 decimals, parsed exactly (amounts.ts);
 * `--json` prints one JSON object.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Wallet } from 'ethers'
import type { Withdrawal } from '../chain/client.ts'
import { toTronAddress } from '../chain/tron-address.ts' // not ../chain/index.ts: see chain-options.ts
import { pendingState, type PendingState } from '../audit/lanes.ts'
import { toAddress, type Address } from '../pay/index.ts'
import { encryptKeystore, getPassphrase } from '../keys/index.ts'
import { formatBtt, parseBtt } from './amounts.ts'
import { explainChainError } from './chain-errors.ts'
import type { ChainFlags, Out } from './chain-flags.ts'
import type { ChainSession } from './chain-options.ts'
import { chainNow } from './chain-time.ts'
import { asCliError, CliError } from './errors.ts'
import { readLedger, ledgerPathFor } from './ledger-file.ts'
import { checkAddress, iso, print, txLines, withChain } from './command-helpers.ts'

const ZERO = '0x0000000000000000000000000000000000000000'

/** `seedpay account [--address]`. */
export async function account (o: ChainFlags & Out & { address?: string }): Promise<void> {
  if (o.address !== undefined) checkAddress('--address', o.address) // bad input fails before any connection
  await withChain(o, o.address === undefined ? 'address' : 'optional', async s => { await showAccount(s, o) })
}

/** `seedpay deposit <amount>`. */
export async function deposit (amountText: string, o: ChainFlags & Out): Promise<void> {
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
}

/** `seedpay mint <amount>`. */
export async function mint (amountText: string, o: ChainFlags & Out): Promise<void> {
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
}

/** `seedpay withdraw request <amount|all>`. */
export async function withdrawRequest (amountText: string, o: ChainFlags & Out): Promise<void> {
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
}

/** `seedpay withdraw cancel`. */
export async function withdrawCancel (o: ChainFlags & Out): Promise<void> {
  await withChain(o, 'sign', async s => {
    const tx = await s.client.cancelWithdrawal()
    print(o, { action: 'withdraw-cancel', account: s.account, txId: tx.txId }, `withdrawal cancelled (tx ${tx.txId})`)
  })
}

/** `seedpay withdraw execute`. */
export async function withdrawExecute (o: ChainFlags & Out): Promise<void> {
  await withChain(o, 'sign', async s => {
    const account = s.account!
    const before = await s.client.tokenBalanceOf(account)
    const tx = await s.client.withdraw()
    const received = (await s.client.tokenBalanceOf(account)) - before
    print(o, { action: 'withdraw-execute', account, amount: formatBtt(received), txId: tx.txId }, `withdrew ${formatBtt(received)} BTT (tx ${tx.txId})`)
  })
}

/** `seedpay signer set <address>`. */
export async function signerSet (addressText: string, o: ChainFlags & Out): Promise<void> {
  const hot = checkAddress('address', addressText)
  await withChain(o, 'sign', async s => {
    const tx = await s.client.setSigner(hot)
    print(o, { action: 'signer-set', account: s.account, signer: hot, txId: tx.txId }, `signer of ${s.account ?? ''} is now ${hot} (tx ${tx.txId})`)
  })
}

/** `seedpay signer new --out <file> [--keystore]`. */
export async function signerNew (o: ChainFlags & Out & { out: string, keystore: boolean }): Promise<void> {
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
  const [token, wallet, escrowBalance, withdrawal, signer, delay, window, now, laneRows, unclaimed] = await Promise.all([
    c.token(), c.tokenBalanceOf(account), c.balanceOf(account), c.pendingWithdrawal(account), c.signerOf(account), c.withdrawalDelay(),
    c.withdrawalWindow(), chainNow(s.target),
    Promise.all(payees.map(async payee => {
      const [{ lane, paidOut }, release] = await Promise.all([c.laneOf(account, payee), c.pendingRelease(account, payee)])
      return { payee, lane, paidOut, release }
    })),
    c.unclaimedOf(account)
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
    withdrawalDelaySeconds: Number(delay), withdrawalWindowSeconds: Number(window), lanes,
    // native escrow: payouts this account (a contract) refused, waiting for its claim(to); always 0 on a token escrow
    unclaimed: formatBtt(unclaimed)
  }
  print(o, result, [
    `account      ${account} (${result.accountBase58})`,
    `network      ${s.target.network}, chain ${s.chainId}, escrow ${s.client.escrow}`,
    `wallet       ${formatBtt(wallet)} BTT ${token.toLowerCase() === ZERO ? '(the chain\'s coin: this escrow holds native BTT)' : `(token ${token})`}`,
    `in escrow    ${formatBtt(escrowBalance)} BTT free (any seeder's receipts can take it)`,
    `withdrawing  ${pending === null ? 'nothing' : pendingText(pending, '`seedpay withdraw execute`')}`,
    ...(unclaimed > 0n ? [`unclaimed    ${formatBtt(unclaimed)} BTT of payouts it refused, waiting for its claim(to) on the escrow`] : []),
    `delays       withdrawals and lane releases unlock ${Number(delay)} s after the request and stay executable ${Number(window)} s`,
    `signer       ${hot ?? 'none: your own key signs receipts'}${previous === null ? '' : ` (previous ${previous.address} counts until ${previous.validUntil})`}`,
    `lanes        ${lanes.length === 0 ? 'none (no seeders in the ledger)' : `${lanes.length} seeder(s) in the ledger`}`,
    ...lanes.map(l => `  ${l.payee}  lane ${l.lane} BTT  paid ${l.paidOut} BTT${l.release === null ? '' : `  releasing ${pendingText(l.release, `\`seedpay lane release execute ${l.payee}\``)}`}`)
  ].join('\n'))
}
