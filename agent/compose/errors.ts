/** Errors of the composition root. */

/** The options given to createPayments cannot make a working agent (a wrong price, an account that can never receive). */
export class PaymentsConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'PaymentsConfigError'
  }
}
