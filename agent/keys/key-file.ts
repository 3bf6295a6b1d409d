/**
 * Reads a private key from a file the user names (`--key-file`, `--signer-key`, `key import --from-file`):
 * refused unless only its owner may read it, then hex or keystore JSON (decrypted with the passphrase sources).
 */
import { readFileSync } from 'node:fs'
import { KeyError } from './errors.ts'
import { decryptKeystore, looksLikeKeystore, parseHexKey } from './keystore.ts'
import { getPassphrase, type PassphraseOptions } from './passphrase.ts'
import { assertPrivateFile } from './permissions.ts'

/** The file's text, after the permission check. `what` names the flag in errors, e.g. "--key-file". */
export function readSecretFile (path: string, what: string): string {
  assertPrivateFile(path, what)
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new KeyError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check the path and its permissions', 'input')
  }
}

/** Hex or keystore text → the 0x-hex private key; a keystore is decrypted (its passphrase asked for `source`). */
export async function keyFromText (text: string, source: string, opts: PassphraseOptions = {}): Promise<string> {
  if (!looksLikeKeystore(text)) return parseHexKey(text, source)
  const passphrase = await getPassphrase(source, false, opts)
  return await decryptKeystore(text, passphrase, source)
}

/** The private key in the file at `path` (hex, or a keystore). */
export async function readKeyFile (path: string, what: string, opts: PassphraseOptions = {}): Promise<string> {
  return await keyFromText(readSecretFile(path, what), path, opts)
}
