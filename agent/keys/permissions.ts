/**
 * The rule ssh applies to private keys: a secret file that group or others may read or write is refused, since
 * on a shared machine it may already have been copied (or replaced). Windows has no such mode bits: skipped.
 */
import { statSync } from 'node:fs'
import { KeyError } from './errors.ts'

export function assertPrivateFile (path: string, what = 'key file'): void {
  if (process.platform === 'win32') return
  let mode: number
  try {
    mode = statSync(path).mode & 0o777
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new KeyError(`${what} ${path} does not exist`, 'check the path', 'input')
    throw new KeyError(`cannot read ${what} ${path}: ${code ?? (err as Error).message}`, 'check the path and its permissions', 'input')
  }
  if ((mode & 0o077) === 0) return
  const how = (mode & 0o044) !== 0 ? 'readable' : 'writable'
  throw new KeyError(`${path} is ${how} by others (mode 0${mode.toString(8).padStart(3, '0')})`, `chmod 600 ${path}`, 'input')
}
