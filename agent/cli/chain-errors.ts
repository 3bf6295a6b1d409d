/**
 * Chain errors as the CLI prints them: a revert of the escrow or its token in words, with what to do next.
 * Anything already a CliError passes through; anything unknown is returned as it is.
 */
import { EscrowRevertError, ChainRequestError, FeeLimitExceededError, InsufficientEnergyError, NativeAssetError, ReadOnlyClientError, UnknownRevertError } from '../chain/errors.ts' // not ../chain/index.ts: see chain-options.ts
import { formatBtt } from './amounts.ts'
import { feeText, TRX_FEE_COIN } from '../pay/btt.ts'
import { CliError } from './errors.ts'
import { systemError } from './explain.ts'

/** Errno codes that mean the node could not be reached (as opposed to a node that answered "no"). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN'])

const when = (unix: bigint): string => new Date(Number(unix) * 1000).toISOString().replace('.000Z', 'Z')

export function explainChainError (err: unknown): unknown {
  if (err instanceof CliError) return err
  if (err instanceof EscrowRevertError) {
    const a = err.args as Record<string, unknown>
    const btt = (k: string): string => typeof a[k] === 'bigint' ? `${formatBtt(a[k])} BTT` : '?'
    switch (err.errorName) {
      case 'InsufficientBalance':
        return new CliError(`the escrow holds ${btt('available')} for you, less than ${btt('requested')}`, 'ask for at most your escrow balance (see `seedpay account`)', 1)
      case 'NoWithdrawalPending':
        return new CliError('no withdrawal is pending', 'start one with `seedpay withdraw request <amount>`', 1)
      case 'WithdrawalLocked':
        return new CliError(`the withdrawal unlocks at ${when(a['unlockAt'] as bigint)} (chain time is ${when(a['nowTimestamp'] as bigint)})`, 'run `seedpay withdraw execute` again after that; payees may settle your receipts until then', 1)
      case 'SignerUnchanged':
        return new CliError(`${String(a['signer'])} already is your signer`, 'nothing to do', 1)
      case 'SignerRotationPending':
        return new CliError(`the previous signer ${String(a['previous'])} still counts until ${when(a['previousValidUntil'] as bigint)}`, 'change the signer again after that', 1)
      case 'ZeroAmount':
        return new CliError('the amount is zero', 'give an amount greater than 0', 2)
      case 'ZeroAddress':
        return new CliError('the address is the zero address', 'give a real address', 2)
      case 'SelfPayment':
        return new CliError('a payer cannot pay itself', 'settle receipts from other accounts', 1)
      case 'ERC20InsufficientBalance':
        return new CliError(`your token balance is ${btt('balance')}, less than ${btt('needed')}`, 'get more BTT into the account first (see `seedpay account`)', 1)
      case 'NothingToClaim':
        return new CliError('nothing is waiting to be claimed for this account', 'payouts you accepted were paid at once (see `seedpay account`)', 1)
      case 'ClaimFailed':
        return new CliError(`sending ${btt('amount')} to ${String(a['to'])} failed; it stays claimable`, 'claim to an address that accepts coins', 1)
      case 'UseDeposit':
        return new CliError('the escrow takes coins only as a deposit', 'use `seedpay deposit <amount>`', 2)
      case 'ERC20InsufficientAllowance':
        return new CliError(`the escrow may pull ${btt('allowance')} of your tokens, less than ${btt('needed')}`, 'run the deposit again; it approves what it needs', 1)
      default:
        return new CliError(`the escrow refused: ${err.message}`, 'check the amounts and the account with `seedpay account`', 1)
    }
  }
  if (err instanceof InsufficientEnergyError) {
    return new CliError(`${err.method} needs ~${err.energy} energy: with ${err.energyAvailable} staked it would burn ${feeText(err.burnSun, TRX_FEE_COIN)}, and the account holds ${feeText(err.balanceSun, TRX_FEE_COIN)}`,
      'send TRX to the account, or stake TRX for energy, then run it again; nothing was sent', 1)
  }
  if (err instanceof FeeLimitExceededError) {
    return new CliError(`${err.method} needs ~${err.energy} energy, a fee limit of ${feeText(err.feeLimitSun, TRX_FEE_COIN)}, above the ${feeText(err.maxFeeLimitSun, TRX_FEE_COIN)} allowed`,
      'nothing was sent; check the escrow and the call (a settlement needs ~18,000 energy per payer)', 1)
  }
  if (err instanceof UnknownRevertError) return new CliError(err.message, 'check --escrow names a BandwidthEscrow on this chain', 1)
  if (err instanceof ChainRequestError) return new CliError(`the node refused or failed: ${err.message}`, 'check --rpc/--tron, your connection and the account\'s TRX for energy', 1)
  if (err instanceof NativeAssetError) return new CliError(err.message, 'this escrow holds the chain\'s coin (BitTorrent Chain): fund the account with coins, and deposit them', 2)
  if (err instanceof ReadOnlyClientError) return new CliError(err.message, 'pass --key-file <path> (or set SEEDPAY_KEY)', 2)
  const sys = systemError(err)
  if (sys !== undefined && UNREACHABLE.has(sys.code)) {
    const where = sys.address !== undefined ? ` at ${sys.address}${sys.port !== undefined ? `:${sys.port}` : ''}` : sys.hostname !== undefined ? ` at ${sys.hostname}` : ''
    return new CliError(`the chain node${where} did not answer: ${sys.message}`, 'check --rpc/--tron and that the node is running', 1)
  }
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ECONNREFUSED' || code === 'NETWORK_ERROR' || code === 'TIMEOUT') {
    return new CliError(`the chain node did not answer: ${(err as Error).message.split('\n')[0] ?? ''}`, 'check --rpc/--tron and that the node is running', 1)
  }
  if (code === 'INSUFFICIENT_FUNDS') return new CliError('the account cannot pay for gas', 'fund the account with the chain\'s native coin (TRX on TRON)', 1)
  return err
}
