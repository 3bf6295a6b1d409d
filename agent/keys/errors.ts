/**
 * What went wrong with a key, a key file or a passphrase, said so that a user can fix it: `message` names the
 * file or key, `hint` says what to do. `input` errors are the user's to fix (the CLI exits 2); `operation`
 * errors are the machine's (a write that failed; exit 1).
 */
export class KeyError extends Error {
  override readonly name = 'KeyError'
  constructor (message: string, readonly hint: string, readonly kind: 'input' | 'operation' = 'input') {
    super(message)
  }
}
