/** Small option parsers every command shares; each bad value is a CliError with exit 2. */
import { CliError } from './errors.ts'

export function intOption (flag: string, v: string, min: number, max: number): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag} must be an integer from ${min} to ${max}, got "${v}"`, `fix ${flag}`, 2)
  return n
}

export function checkUrl (url: string): void {
  if (!/^(https?|udp):\/\/[^/]+/.test(url)) throw new CliError(`tracker URL "${url}" is not http(s):// or udp://`, 'write it like http://127.0.0.1:8000/announce', 2)
}

export function collect (value: string, previous: string[]): string[] { return [...previous, value] }
