/** Errors of the seedpay wire extension. */

/** Why a peer broke the protocol; reported in `peer:protocol-error` and logs. */
export type ViolationCode =
  | 'too-large' | 'bad-bencode' | 'non-canonical' | 'unknown-type' | 'bad-fields' | 'bad-field'
  | 'bad-version' | 'unexpected' | 'timeout' | 'bad-offers'

/** A message that breaks the seedpay wire format or state machine; the peer is closed. */
export class ProtocolViolationError extends Error {
  constructor (readonly code: ViolationCode, readonly detail: string) {
    super(`seedpay protocol violation (${code}): ${detail}`)
    this.name = 'ProtocolViolationError'
  }
}

/** A message was sent in a state that does not allow it (our own bug, not the peer's). */
export class WireStateError extends Error {
  constructor (readonly state: string, readonly action: string) {
    super(`cannot ${action} in state ${state}`)
    this.name = 'WireStateError'
  }
}
