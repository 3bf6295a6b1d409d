/**
 * Where a keystore's passphrase comes from, first match wins: `--passphrase-file <path>` (mode 600, one trailing
 * newline dropped), the `SEEDPAY_PASSPHRASE` environment variable, a prompt on the terminal (no echo; asked twice
 * when a new keystore is written). With none of them (a script, a pipe) it is an error saying how to give one:
 * seedpay never waits on a prompt nobody can see.
 */
import { readFileSync } from 'node:fs'
import { KeyError } from './errors.ts'
import { assertPrivateFile } from './permissions.ts'
import { promptHidden, stdinIsTerminal } from './prompt.ts'

export interface PassphraseOptions {
  passphraseFile?: string
}

const HOW = 'set SEEDPAY_PASSPHRASE, or pass --passphrase-file <file> (mode 600), or run it on a terminal to be asked'

/**
 * The passphrase for `what` (a file path or key name, shown in the prompt and errors).
 * `confirm`: a new keystore is being written, so a prompt asks twice and an empty passphrase is refused.
 */
export async function getPassphrase (what: string, confirm: boolean, opts: PassphraseOptions = {}): Promise<string> {
  let passphrase: string
  if (opts.passphraseFile !== undefined) {
    assertPrivateFile(opts.passphraseFile, '--passphrase-file')
    try {
      passphrase = readFileSync(opts.passphraseFile, 'utf8').replace(/\r?\n$/, '')
    } catch (err) {
      throw new KeyError(`cannot read --passphrase-file ${opts.passphraseFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check the path and its permissions', 'input')
    }
  } else if (process.env['SEEDPAY_PASSPHRASE'] !== undefined) {
    passphrase = process.env['SEEDPAY_PASSPHRASE']
  } else if (stdinIsTerminal()) {
    passphrase = await promptHidden(confirm ? `new passphrase for ${what}: ` : `passphrase for ${what}: `)
    if (confirm) {
      if (passphrase === '') throw new KeyError('the passphrase is empty', 'type a passphrase; it encrypts the key on disk', 'input')
      const again = await promptHidden('the same passphrase again: ')
      if (again !== passphrase) throw new KeyError('the two passphrases differ', 'run the command again and type the same passphrase twice', 'input')
    }
    return passphrase
  } else {
    throw new KeyError(`no passphrase for ${what}: stdin is not a terminal to ask on`, HOW, 'input')
  }
  if (confirm && passphrase === '') throw new KeyError('the passphrase is empty', 'give a passphrase that is not empty; it encrypts the key on disk', 'input')
  return passphrase
}
