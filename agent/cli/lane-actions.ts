/** What the lane commands of lane-commands.ts do: validate, connect, call the EscrowClient, print. */
import { inDomain, type Address } from '../pay/index.ts'
import { formatBtt, parseBtt } from './amounts.ts'
import type { ChainFlags, Out } from './chain-flags.ts'
import type { ChainSession } from './chain-options.ts'
import { CliError } from './errors.ts'
import { ledgerPathFor, readLedger } from './ledger-file.ts'
import { checkAddress, iso, print, withChain } from './command-helpers.ts'

interface LaneRow { payee: Address, lane: bigint, paidOut: bigint, release: { amount: bigint, unlockAt: bigint } }

/** `seedpay lane list`. */
export async function list (o: ChainFlags & Out & { payee: string[], address?: string }): Promise<void> {
  // Bad input fails before any connection.
  if (o.address !== undefined) checkAddress('--address', o.address)
  for (const p of o.payee) checkAddress('--payee', p)
  await withChain(o, o.address === undefined ? 'address' : 'optional', async s => {
    const payer = o.address !== undefined ? checkAddress('--address', o.address) : s.account!
    const payees = new Set<Address>(o.payee.map(p => checkAddress('--payee', p)))
    for (const p of ledgerPayees(s, payer)) payees.add(p)
    const rows = await Promise.all([...payees].map(async payee => await laneRow(s, payer, payee)))
    const shown = rows.filter(r => r.lane > 0n || r.release.unlockAt > 0n || o.payee.length > 0)
    const free = await s.client.balanceOf(payer)
    print(o, {
      action: 'lane-list', payer, free: formatBtt(free),
      lanes: shown.map(r => ({ payee: r.payee, lane: formatBtt(r.lane), paidOut: formatBtt(r.paidOut), release: r.release.unlockAt === 0n ? null : { amount: formatBtt(r.release.amount), unlockAt: iso(r.release.unlockAt) } }))
    }, [
      `free balance ${formatBtt(free)} BTT (any seeder's receipts can take it)`,
      ...(shown.length === 0 ? ['no lanes'] : shown.map(r => `${r.payee}  lane ${formatBtt(r.lane)} BTT  paid ${formatBtt(r.paidOut)} BTT${r.release.unlockAt === 0n ? '' : `  releasing ${formatBtt(r.release.amount)} BTT at ${iso(r.release.unlockAt)}`}`))
    ].join('\n'))
  })
}

/** `seedpay lane reserve <payee=amount...>`. */
export async function reserve (pairs: string[], o: ChainFlags & Out): Promise<void> {
  const entries = pairs.map(parsePair)
  const seen = new Set<string>()
  for (const e of entries) {
    if (seen.has(e.payee)) throw new CliError(`seeder ${e.payee} is named twice`, 'name each seeder once, with the total to reserve', 2)
    seen.add(e.payee)
  }
  await withChain(o, 'sign', async s => {
    const payer = s.account!
    if (seen.has(payer)) throw new CliError('a lane for yourself can never be paid out', 'name the seeders you pay', 2)
    const total = entries.reduce((t, e) => t + e.amount, 0n)
    const free = await s.client.balanceOf(payer)
    if (free < total) throw new CliError(`your free balance is ${formatBtt(free)} BTT, less than the ${formatBtt(total)} BTT to reserve`, 'deposit more with `seedpay deposit`, or reserve less', 1)
    const tx = await s.client.reserve(entries)
    const rows = await Promise.all(entries.map(async e => await laneRow(s, payer, e.payee)))
    print(o, { action: 'lane-reserve', payer, txId: tx.txId, lanes: rows.map(r => ({ payee: r.payee, lane: formatBtt(r.lane) })) },
      `reserved ${formatBtt(total)} BTT for ${entries.length} seeder(s) (tx ${tx.txId})\n${rows.map(r => `  ${r.payee} lane ${formatBtt(r.lane)} BTT`).join('\n')}`)
  })
}

/** `seedpay lane release request <payee> <amount|all>`. */
export async function releaseRequest (payeeText: string, amountText: string, o: ChainFlags & Out): Promise<void> {
  const payee = checkAddress('payee', payeeText)
  const fixed = amountText.trim().toLowerCase() === 'all' ? null : parseBtt('amount', amountText)
  await withChain(o, 'sign', async s => {
    const payer = s.account!
    const { lane } = await s.client.laneOf(payer, payee)
    const amount = fixed ?? lane
    if (lane === 0n) throw new CliError(`you have no lane for ${payee}`, 'see your lanes with `seedpay lane list`', 1)
    if (amount > lane) throw new CliError(`the lane for ${payee} holds ${formatBtt(lane)} BTT, less than ${formatBtt(amount)}`, 'release at most the lane, or "all"', 1)
    const tx = await s.client.requestRelease(payee, amount)
    const r = await s.client.pendingRelease(payer, payee)
    print(o, { action: 'lane-release-request', payer, payee, amount: formatBtt(r.amount), unlockAt: iso(r.unlockAt), txId: tx.txId },
      `release of ${formatBtt(r.amount)} BTT from the lane for ${payee} requested (tx ${tx.txId})\nunlocks at ${iso(r.unlockAt)}; then run \`seedpay lane release execute ${payee}\``)
  })
}

/** `seedpay lane release cancel <payee>`. */
export async function releaseCancel (payeeText: string, o: ChainFlags & Out): Promise<void> {
  const payee = checkAddress('payee', payeeText)
  await withChain(o, 'sign', async s => {
    const tx = await s.client.cancelRelease(payee)
    print(o, { action: 'lane-release-cancel', payer: s.account, payee, txId: tx.txId }, `release from the lane for ${payee} cancelled (tx ${tx.txId})`)
  })
}

/** `seedpay lane release execute <payee>`. */
export async function releaseExecute (payeeText: string, o: ChainFlags & Out): Promise<void> {
  const payee = checkAddress('payee', payeeText)
  await withChain(o, 'sign', async s => {
    const payer = s.account!
    const before = await s.client.balanceOf(payer)
    const tx = await s.client.release(payee)
    const moved = (await s.client.balanceOf(payer)) - before
    print(o, { action: 'lane-release-execute', payer, payee, amount: formatBtt(moved), txId: tx.txId },
      `moved ${formatBtt(moved)} BTT from the lane for ${payee} to your free balance (tx ${tx.txId}); \`seedpay withdraw request\` takes it out of the escrow`)
  })
}

async function laneRow (s: ChainSession, payer: Address, payee: Address): Promise<LaneRow> {
  const [{ lane, paidOut }, release] = await Promise.all([s.client.laneOf(payer, payee), s.client.pendingRelease(payer, payee)])
  return { payee, lane, paidOut, release }
}

/** The seeders this payer has paid on this escrow, from its ledger (if there is one). */
function ledgerPayees (s: ChainSession, payer: Address): Address[] {
  const ledger = readLedger(ledgerPathFor(s.target, payer))
  if (ledger === null) return []
  try {
    const domain = { chainId: s.chainId, escrow: s.client.escrow }
    return ledger.channels().filter(c => c.role === 'payer' && c.key.payer === payer && inDomain(c.key, domain)).map(c => c.key.payee)
  } finally {
    ledger.close()
  }
}

function parsePair (text: string): { payee: Address, amount: bigint } {
  const eq = text.indexOf('=')
  if (eq < 0) throw new CliError(`"${text}" is not <seeder>=<BTT>`, 'write each lane like 0x1234…abcd=5', 2)
  return { payee: checkAddress('seeder', text.slice(0, eq)), amount: parseBtt('amount', text.slice(eq + 1)) }
}
