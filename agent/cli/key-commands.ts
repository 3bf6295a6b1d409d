/**
 * `seedpay key new | import | list | export`: the account keys this machine holds, as scrypt JSON keystores in
 * the key store (agent/keys: `~/.seedpay/keys/<name>.json`, or under SEEDPAY_HOME). Chain commands use one with
 * `--key <name|address>`. Passphrases come from --passphrase-file, SEEDPAY_PASSPHRASE or a prompt (no echo).
 * What the commands do is in key-actions.ts, loaded when one of them runs.
 */
import type { Command } from 'commander'
import type { KeyFlags } from './key-actions.ts'

const actions = async (): Promise<typeof import('./key-actions.ts')> => await import('./key-actions.ts')

const passphraseOption = (c: Command): Command => c
  .option('--passphrase-file <path>', 'read the keystore passphrase from this file (mode 600); else SEEDPAY_PASSPHRASE, else a prompt')
  .option('--json', 'print the result as JSON', false)

export function registerKeyCommands (program: Command): void {
  const key = program.command('key').description('your account keys, encrypted (scrypt keystores) in ~/.seedpay/keys or $SEEDPAY_HOME/keys; use one with --key <name>')

  passphraseOption(key.command('new')
    .description('make a new account key and store it encrypted')
    .option('--name <name>', 'its name in the store (default: its address)'))
    .action(async (o: KeyFlags & { name?: string }) => { await (await actions()).newKey(o) })

  passphraseOption(key.command('import')
    .description('store an existing key: hex (64 digits, 0x optional, as TronLink exports it) or an ethers/geth keystore file')
    .option('--from-file <path>', 'read the hex key or keystore from this file (mode 600); else stdin when piped, else a prompt')
    .option('--name <name>', 'its name in the store (default: its address)'))
    .action(async (o: KeyFlags & { name?: string, fromFile?: string }) => { await (await actions()).importKey(o) })

  key.command('list')
    .description('the keys in the store: name, address (0x…) and TRON address (T…)')
    .option('--json', 'print the result as JSON', false)
    .action(async (o: KeyFlags) => { await (await actions()).list(o) })

  passphraseOption(key.command('export')
    .description('print a stored key as 64 hex digits (no 0x: the form TronLink imports)')
    .argument('<key>', 'its name or address (0x… or T…), see `seedpay key list`'))
    .action(async (which: string, o: KeyFlags) => { await (await actions()).exportKey(which, o) })
}
