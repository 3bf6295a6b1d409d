/**
 * `seedpay lane list | reserve | release request|cancel|execute`: lanes by hand. A lane is part of a payer's
 * escrow balance reserved for one payee: only that payee's receipts can take it, and it comes back to the free
 * balance only through a release announced `withdrawalDelay` ahead (docs/risk.md). `get` reserves the lanes
 * seeders ask for by itself (`--auto-lane`); these commands show and manage them. What they do is in
 * lane-actions.ts, loaded when one of them runs.
 */
import type { Command } from 'commander'
import { cmd, type ChainFlags, type Out } from './chain-flags.ts'
import { collect } from './flags.ts'

const actions = async (): Promise<typeof import('./lane-actions.ts')> => await import('./lane-actions.ts')

export function registerLaneCommands (program: Command): void {
  const lane = program.command('lane').description('BTT reserved in the escrow for one seeder alone (it backs your receipts to it in full)')

  cmd(lane.command('list')
    .description('your lanes: per seeder the lane, what it was paid, a pending release')
    .option('--payee <address>', 'also show this seeder (repeatable); default: the seeders in your ledger', collect, [])
    .option('--address <address>', 'list this payer\'s lanes instead of the key\'s (needs no key)'))
    .action(async (o: ChainFlags & Out & { payee: string[], address?: string }) => { await (await actions()).list(o) })

  cmd(lane.command('reserve')
    .description('move BTT from your free balance into lanes, for one or more seeders in one transaction')
    .argument('<payee=amount...>', 'seeder address and BTT, e.g. 0xabc…=5 (repeat for more seeders)')
    .allowUnknownOption())
    .action(async (pairs: string[], o: ChainFlags & Out) => { await (await actions()).reserve(pairs, o) })

  const release = lane.command('release').description('bring a lane back to your free balance in two steps: request, wait the delay, execute')
  cmd(release.command('request')
    .description('announce taking BTT out of a seeder\'s lane; it unlocks after the escrow\'s delay (the seeder may settle until then)')
    .argument('<payee>', 'the seeder\'s address')
    .argument('<amount>', 'BTT, or "all" for the whole lane')
    .allowUnknownOption())
    .action(async (payee: string, amount: string, o: ChainFlags & Out) => { await (await actions()).releaseRequest(payee, amount, o) })
  cmd(release.command('cancel').description('cancel a pending release').argument('<payee>', 'the seeder\'s address'))
    .action(async (payee: string, o: ChainFlags & Out) => { await (await actions()).releaseCancel(payee, o) })
  cmd(release.command('execute').description('move a released lane back to your free balance once it has unlocked').argument('<payee>', 'the seeder\'s address'))
    .action(async (payee: string, o: ChainFlags & Out) => { await (await actions()).releaseExecute(payee, o) })
}
