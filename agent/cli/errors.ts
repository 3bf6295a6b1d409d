import { KeyError } from '../keys/errors.ts'

/** An error the CLI prints as `error: <message>` plus a hint, without a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor (message: string, readonly hint: string, readonly exitCode = 1) {
    super(message)
  }
}

/** KeyErrors become CliErrors: exit 2 for the user's input, 1 when the machine failed. */
export function asCliError (err: unknown): unknown {
  return err instanceof KeyError ? new CliError(err.message, err.hint, err.kind === 'input' ? 2 : 1) : err
}
