/**
 * `seedpay account | mint | deposit | withdraw request|cancel|execute | signer set|new | settle`: the money side of the
 * CLI. This file declares the commands; what they do is in account-actions.ts, loaded when one of them runs, so
 * `seedpay --help` loads neither ethers nor the chain clients.
 */
import type { Command } from 'commander'
import { MAX_BATCH_SIZE } from '../chain/batch-size.ts'
import { cmd, type ChainFlags, type Out } from './chain-flags.ts'

const actions = async (): Promise<typeof import('./account-actions.ts')> => await import('./account-actions.ts')

export function registerAccountCommands (program: Command): void {
  cmd(program.command('account')
    .description('show an account: wallet and escrow balance, pending withdrawal, hot signer')
    .option('--address <address>', 'show this account instead of the key\'s (needs no key)')
    .option('--all-networks', 'show it on every network with a deployments file, each on its default node'))
    .action(async (o: ChainFlags & Out & { address?: string, allNetworks?: boolean }) => {
      if (o.allNetworks === true) await (await import('./account-everywhere.ts')).accountEverywhere(o)
      else await (await actions()).account(o)
    })

  cmd(program.command('deposit')
    .description('put BTT into the escrow (approves the escrow for the amount first if needed)')
    .argument('<amount>', 'BTT, e.g. 10 or 0.5 (up to 18 decimals)')
    // so "-1" reaches the amount parser (and gets a clear "negative" error) instead of "unknown option"
    .allowUnknownOption())
    .action(async (amount: string, o: ChainFlags & Out) => { await (await actions()).deposit(amount, o) })

  cmd(program.command('mint')
    .description('mint TestBTT to your account (local chain and Nile only: their token is TestBTT with an open mint)')
    .argument('<amount>', 'BTT')
    .allowUnknownOption())
    .action(async (amount: string, o: ChainFlags & Out) => { await (await actions()).mint(amount, o) })

  const withdraw = program.command('withdraw').description('take BTT out of the escrow in two steps: request, wait the delay, execute')
  cmd(withdraw.command('request')
    .description('announce a withdrawal; it unlocks after the escrow\'s delay (payees may settle until then)')
    .argument('<amount>', 'BTT, or "all" for the whole escrow balance')
    .allowUnknownOption())
    .action(async (amount: string, o: ChainFlags & Out) => { await (await actions()).withdrawRequest(amount, o) })
  cmd(withdraw.command('cancel').description('cancel the pending withdrawal'))
    .action(async (o: ChainFlags & Out) => { await (await actions()).withdrawCancel(o) })
  cmd(withdraw.command('execute').description('pay out the pending withdrawal once it has unlocked'))
    .action(async (o: ChainFlags & Out) => { await (await actions()).withdrawExecute(o) })

  const signer = program.command('signer').description('the hot key that signs receipts for your account, so the key holding the money stays cold')
  cmd(signer.command('set')
    .description('name the hot key (address) that may sign receipts for your account')
    .argument('<address>', 'the hot key\'s address, 0x… or T…'))
    .action(async (address: string, o: ChainFlags & Out) => { await (await actions()).signerSet(address, o) })
  cmd(signer.command('new')
    .description('generate a hot key, save it to a file (mode 600) and register it as your signer')
    .requiredOption('--out <file>', 'where to write the new hot key (must not exist)')
    .option('--keystore', 'write it as an encrypted keystore JSON instead of hex (new passphrase: --passphrase-file, SEEDPAY_PASSPHRASE or a prompt)', false))
    .action(async (o: ChainFlags & Out & { out: string, keystore: boolean }) => { await (await actions()).signerNew(o) })

  cmd(program.command('settle')
    .description('cash every receipt in the ledger that pays you (as payee), batched; prints tx ids and amounts')
    .option('--max-batch <n>', `most receipts per settleBatch (1–${MAX_BATCH_SIZE})`, '100'))
    .action(async (o: ChainFlags & Out & { maxBatch: string }) => { await (await import('./settle-action.ts')).settle(o) })
}
