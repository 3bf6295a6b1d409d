/**
 * `seedpay audit`: reconciles the escrow's events with a ledger and the escrow's views (paidOut, laneOf,
 * releaseOf, balanceOf) and prints tables (or JSON). Exits 1 on any mismatch, 2 on bad input. Thin: parse and
 * check options, connect (the same chain options as every money command), call agent/audit, print; the doing is in
 * audit-action.ts, loaded when the command runs.
 *
 * Whose books: `--payee`/`--payer`, else the key's account (as payee if its ledger holds receipts paid to it,
 * else as payer); the ledger is `--ledger`, else that account's default — so a seeder audits with
 * `seedpay audit --key seeder` alone.
 */
import type { Command } from 'commander'
import type { AuditOptions } from './audit-action.ts'
import { cmd } from './chain-flags.ts'

export function registerAuditCommand (program: Command): void {
  cmd(program.command('audit')
    .description('rebuild every pair\'s payouts and lanes, and every payer\'s free balance, from the escrow\'s events and compare them with a ledger and the escrow; exits 1 on any mismatch')
    .option('--payee <address>', 'audit what this payee was paid (default: your --key\'s account, or the ledger\'s only payee)')
    .option('--payer <address>', 'audit what this payer paid, against the receipts it signed')
    .option('--from-block <n>', 'first block to read events from (default: the escrow\'s deployment block from the deployments file, else 0)')
    .option('--full-addresses', 'print whole addresses in the table', false))
    .action(async (o: AuditOptions) => { await (await import('./audit-action.ts')).audit(o) })
}
