/**
 * Runs an MseHandshake over a socket: writes what it says, feeds it what arrives, bounded by a timer and an optional
 * AbortSignal. Callback style on purpose: the link is handed over inside the read callback that completed it, so the
 * caller attaches the peer's reader before another read can arrive (a promise would resume a tick later).
 */
import type { Socket } from 'node:net'
import { MseError } from '../errors.ts'
import { MSE_TIMEOUT_MS } from './constants.ts'
import type { MseHandshake, MseLink } from './handshake.ts'

/** Where the socket's bytes come from: its 'data' events, or a reused read buffer whose consumer we may set. */
export type MseInput = 'data' | ((consume: (chunk: Buffer) => void) => void)

export interface DriveMseInit {
  input: MseInput
  /** Bytes already read from the socket (the responder's sniffed prefix). */
  first?: Buffer
  /** @default MSE_TIMEOUT_MS (10 s) */
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * Calls `done` once with the link, or with the MseError that ended the handshake; the socket is left open either way
 * (the caller decides: close it, or fall back to plain). With `input: 'data'` the socket is paused before `done`.
 */
export function driveMse (socket: Socket, hs: MseHandshake, init: DriveMseInit, done: (err: MseError | null, link: MseLink | null) => void): void {
  let over = false
  const finish = (err: MseError | null, link: MseLink | null): void => {
    if (over) return
    over = true
    clearTimeout(timer)
    init.signal?.removeEventListener('abort', onAbort)
    socket.off('close', onClose)
    socket.off('end', onClose)
    if (init.input === 'data') { socket.pause(); socket.off('data', onData) } else init.input(() => {})
    done(err, link)
  }
  const onData = (chunk: Buffer): void => {
    if (over) return
    try {
      const step = hs.feed(chunk)
      for (const b of step.send) socket.write(b)
      if (step.link !== null) finish(null, step.link)
    } catch (err) {
      if (err instanceof MseError) finish(err, null)
      else finish(new MseError(`unexpected: ${(err as Error).message}`), null)
    }
  }
  const onClose = (): void => { finish(new MseError('peer closed the connection during the encrypted handshake'), null) }
  const onAbort = (): void => { finish(new MseError('aborted'), null) }
  const timeoutMs = init.timeoutMs ?? MSE_TIMEOUT_MS
  const timer = setTimeout(() => { finish(new MseError(`no encrypted handshake within ${timeoutMs} ms`), null) }, timeoutMs)
  init.signal?.addEventListener('abort', onAbort, { once: true })
  socket.once('close', onClose)
  socket.once('end', onClose)
  // 'error' is followed by 'close'; a listener keeps it from being thrown
  socket.on('error', () => {})
  for (const b of hs.start()) socket.write(b)
  if (init.input === 'data') {
    socket.on('data', onData)
    socket.resume()
  } else init.input(onData)
  if (init.first !== undefined && init.first.length > 0) onData(init.first)
}
