/** An error the CLI prints as `error: <message>` plus a hint, without a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor (message: string, readonly hint: string, readonly exitCode = 1) {
    super(message)
  }
}
