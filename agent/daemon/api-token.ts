/**
 * The local API's secret: 32 random bytes in a file only this user can read, made at the daemon's first start and
 * kept after (the CLI and scripts read it; rotating it is deleting the file and restarting). A request without it
 * gets 401, so another local user, or a web page the user visits that posts to 127.0.0.1, cannot drive the daemon.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'

const TOKEN_BYTES = 32

/** Reads the token at `path`, creating it (mode 600) if there is none. */
export async function ensureApiToken (path: string): Promise<string> {
  const existing = await readApiToken(path)
  if (existing !== null) return existing
  const token = randomBytes(TOKEN_BYTES).toString('hex')
  try {
    const fh = await open(path, 'wx', 0o600)
    await fh.writeFile(`${token}\n`)
    await fh.sync()
    await fh.close()
    return token
  } catch (err) {
    // another process made it between our read and our create: use theirs
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readApiToken(path)) ?? token
    throw err
  }
}

/** The token at `path`, or null if there is none (or it is empty). */
export async function readApiToken (path: string): Promise<string | null> {
  const text = await readFile(path, 'utf8').catch(() => null)
  const token = text?.trim() ?? ''
  return token === '' ? null : token
}

/** Compares in constant time, so the token cannot be guessed byte by byte from response times. */
export function tokenMatches (expected: string, got: string | undefined): boolean {
  if (got === undefined) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(got)
  return a.length === b.length && timingSafeEqual(a, b)
}
