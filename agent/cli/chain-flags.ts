/**
 * The chain options every money command declares (which network, node, escrow, key, ledger) and `cmd`, which adds
 * them and --json to a command. Declarations only: `seedpay --help` builds every command from these without loading
 * ethers, zod or a chain client; chain-options.ts validates the values and connects.
 */
import { Option, type Command } from 'commander'

/** local: anvil with Nile's chain id and the TRC-20 escrow; local-bttc: anvil with BTTC's chain id and the native-BTT escrow. */
export const NETWORKS = ['local', 'nile', 'mainnet', 'local-bttc', 'donau', 'bttc'] as const
export type NetworkName = typeof NETWORKS[number]

/** The raw flags as commander hands them over. */
export interface ChainFlags {
  network: string
  rpc?: string
  tron?: string
  tronApiKey?: string
  escrow?: string
  keyFile?: string
  key?: string
  passphraseFile?: string
  ledger?: string
}

export interface Out { json: boolean }

/** Adds the chain options to a command. */
export function addChainOptions (cmd: Command): Command {
  return cmd
    .addOption(new Option('--network <name>', 'local (anvil), nile, mainnet (TRON), local-bttc (anvil), donau or bttc (BitTorrent Chain); reads deployments/<network>.json').default('local'))
    .option('--rpc <url>', 'EVM JSON-RPC endpoint (default for local: http://127.0.0.1:8545)')
    .option('--tron <fullHost>', 'TRON full node (default: https://nile.trongrid.io for nile, https://api.trongrid.io for mainnet)')
    .addOption(new Option('--tron-api-key <key>', 'TronGrid API key').env('TRONGRID_API_KEY'))
    .option('--escrow <address>', 'the BandwidthEscrow, 0x… or T… (default: from the deployments file)')
    .option('--key-file <path>', 'file (mode 600) holding your account\'s key: hex, or a keystore JSON (or set SEEDPAY_KEY to the hex key)')
    .option('--key <name|address>', 'your account\'s key from the key store (`seedpay key list`)')
    .option('--passphrase-file <path>', 'the keystore passphrase, in a file (mode 600); else SEEDPAY_PASSPHRASE, else a prompt')
    .option('--ledger <path>', 'the agent\'s SQLite ledger (default: ~/.seedpay/ledger-<network>-<account>.sqlite, one per account)')
}

/** A money command: the chain options and --json. */
export function cmd (c: Command): Command {
  return addChainOptions(c).option('--json', 'print the result as JSON', false)
}
