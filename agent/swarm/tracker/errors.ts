/**
 * Errors raised by the tracker client. Every failure a tracker (or the network in between) can cause is one
 * of these, so callers can tell "the tracker said no" from "the tracker sent garbage" from "nobody answered".
 */

/** Base class: `url` is the announce URL the failure belongs to. */
export class TrackerError extends Error {
  readonly url: string
  constructor (url: string, message: string, options?: { cause?: unknown }) {
    super(`${message} (tracker ${url})`, options)
    this.name = 'TrackerError'
    this.url = url
  }
}

/** The tracker answered with `failure reason` (HTTP, BEP 3) or an error action (UDP, BEP 15). */
export class TrackerFailureError extends TrackerError {
  readonly reason: string
  constructor (url: string, reason: string) {
    super(url, `tracker refused: ${reason}`)
    this.name = 'TrackerFailureError'
    this.reason = reason
  }
}

/** The response is not what the protocol allows: bad bencode, missing or mistyped keys, wrong packet size. */
export class MalformedResponseError extends TrackerError {
  readonly detail: string
  constructor (url: string, detail: string) {
    super(url, `malformed tracker response: ${detail}`)
    this.name = 'MalformedResponseError'
    this.detail = detail
  }
}

/** No (complete) answer arrived in time, after every retransmission the signal allowed. */
export class TrackerTimeoutError extends TrackerError {
  constructor (url: string, waitedMs: number) {
    super(url, `no response after ${waitedMs} ms`)
    this.name = 'TrackerTimeoutError'
  }
}

/** HTTP status other than 200, connection refused, DNS failure and the like. */
export class TrackerTransportError extends TrackerError {
  constructor (url: string, message: string, options?: { cause?: unknown }) {
    super(url, message, options)
    this.name = 'TrackerTransportError'
  }
}

/** A URL scheme we do not speak (ws:, wss: are WebTorrent trackers). */
export class UnsupportedTrackerError extends TrackerError {
  constructor (url: string) {
    super(url, 'unsupported tracker URL scheme')
    this.name = 'UnsupportedTrackerError'
  }
}

/** Strict bencode decoding failed; `offset` is where the decoder stopped. */
export class BencodeError extends Error {
  readonly offset: number
  constructor (message: string, offset: number) {
    super(`${message} at byte ${offset}`)
    this.name = 'BencodeError'
    this.offset = offset
  }
}
