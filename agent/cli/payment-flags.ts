/**
 * The payment options `seed` and `get` declare: `--price/--credit/--free-slots/--max-exposure/--want-lane/...`
 * (payee) or `--max-price/--budget/--signer-key/--account/--no-auto-lane/--max-lane` (payer), plus the chain
 * options. Declarations only; payment-options.ts turns them into the payment side of a run.
 */
import { Option, type Command } from 'commander'
import { DEFAULT_CREDIT, INITIAL_CREDIT } from '../pay/credit.ts'
import { addChainOptions, type ChainFlags } from './chain-flags.ts'

export type PaymentRole = 'payee' | 'payer'

export interface PaymentFlags extends ChainFlags {
  price?: string
  credit?: string
  freeSlots?: string
  settleThreshold?: string
  settleInterval?: string
  maxPrice?: string
  maxExposure?: string
  wantLane?: string
  maxStaleness?: string
  budget?: string
  autoLane?: boolean
  maxLane?: string
  signerKey?: string
  account?: string
  json: boolean
  logLevel: string
  logFile?: string
}

/** Adds the payment options for `role` (and the chain options) to `seed` or `get`. */
export function addPaymentOptions (cmd: Command, role: PaymentRole): Command {
  if (role === 'payee') {
    cmd.option('--price <BTT/MiB>', 'charge paying peers this much BTT per MiB uploaded (turns payments on)')
      .option('--credit <MiB>', `serve a payer at most this far ahead of its newest receipt; it starts at ${Number(INITIAL_CREDIT) / 1048576} and earns the rest by paying (default ${Number(DEFAULT_CREDIT) / 1048576})`)
      .option('--free-slots <n>', 'upload slots for ordinary BitTorrent peers, who never pay (0: serve only payers)', '4')
      .option('--settle-threshold <BTT>', 'settle a payer once it owes this much (default: worth the energy a settlement costs)')
      .option('--settle-interval <seconds>', 'how often thresholds are checked', '60')
      .option('--max-exposure <BTT>', 'most of a payer\'s unreserved balance to serve against (default: 64 MiB at --price); see docs/risk.md')
      .option('--want-lane <BTT>', 'ask each payer to reserve this much for you alone; with a lane you lose at most --credit (default 0: ask none)')
      .option('--max-staleness <seconds>', 'stop trusting a payer\'s unreserved balance when the chain view is older than this', '30')
    // several networks: --network a,b with --price a=…,b=… (and --rpc/--tron/--escrow/--ledger as network=value), seed-networks.ts
    cmd.addHelpText('after', '\nSeveral networks: --network local,local-bttc --price local=0.01,local-bttc=0.005; --rpc, --tron, --escrow\nand --ledger then take network=value items too (docs/cli.md, "Several networks").')
  } else {
    cmd.option('--max-price <BTT/MiB>', 'pay seeders that ask at most this much BTT per MiB (turns payments on)')
      .option('--signer-key <path>', 'hot key file (hex or keystore) that signs receipts (registered with `seedpay signer`); default: the account key')
      .addOption(new Option('--account <address>', 'your account on the escrow, when only --signer-key is on this machine'))
      .option('--budget <BTT>', 'sign at most this much in this run (default: what your escrow balance and lanes cover)')
      .option('--no-auto-lane', 'do not reserve the lanes seeders ask for (reserving needs --key-file)')
      .option('--max-lane <BTT>', 'reserve at most this much for one seeder, whatever it asks')
  }
  return addChainOptions(cmd)
}
