/**
 * A strict bencode (BEP 3) reader and writer for seedpay messages, which are flat dicts of byte strings and
 * small integers with at most one nested dict. Only the canonical encoding is accepted: sorted, unique keys;
 * no leading zeros in lengths or integers; no `-0`; no trailing bytes. The general `bencode` package is
 * deliberately not used here: it accepts negative string lengths (which can loop forever), unsorted keys and
 * trailing data, and writes `__proto__` keys into plain objects.
 */
import { ProtocolViolationError } from './errors.ts'

/** Deepest nesting a seedpay message uses: message dict → `last` dict. */
const MAX_DEPTH = 2
/** Integers stay well inside Number.MAX_SAFE_INTEGER; big values travel as byte strings. */
const MAX_INT_DIGITS = 15

export type BValue = number | Uint8Array | BDict
/** A dict with keys as latin1 strings (Map, so no key can reach Object.prototype). */
export type BDict = Map<string, BValue>

const D = 0x64; const E = 0x65; const I = 0x69; const L = 0x6c; const COLON = 0x3a; const MINUS = 0x2d
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39

function fail (detail: string): never {
  throw new ProtocolViolationError('bad-bencode', detail)
}

class Reader {
  pos = 0
  constructor (readonly buf: Uint8Array) {}

  value (depth: number): BValue {
    const c = this.buf[this.pos]
    if (c === I) return this.integer()
    if (c === D) return this.dict(depth)
    if (c === L) fail(`list at ${this.pos}: not part of any seedpay message`)
    if (isDigit(c)) return this.string()
    return fail(`unexpected byte ${c ?? 'EOF'} at ${this.pos}`)
  }

  integer (): number {
    const start = ++this.pos
    let end = start
    if (this.buf[end] === MINUS) end++
    const digitsStart = end
    while (isDigit(this.buf[end])) end++
    const digits = end - digitsStart
    if (this.buf[end] !== E) fail(`unterminated integer at ${start}`)
    if (digits === 0) fail(`empty integer at ${start}`)
    if (digits > MAX_INT_DIGITS) fail(`integer of ${digits} digits at ${start}`)
    if (this.buf[digitsStart] === 0x30 && digits > 1) fail(`leading zero in integer at ${start}`)
    const text = Buffer.from(this.buf.subarray(start, end)).toString('latin1')
    if (text === '-0') fail(`negative zero at ${start}`)
    this.pos = end + 1
    return Number(text)
  }

  string (): Uint8Array {
    const start = this.pos
    let end = start
    while (isDigit(this.buf[end])) end++
    if (this.buf[end] !== COLON) fail(`string length without ':' at ${start}`)
    if (end - start > 1 && this.buf[start] === 0x30) fail(`leading zero in string length at ${start}`)
    if (end - start > 5) fail(`string length too long at ${start}`)
    const length = Number(Buffer.from(this.buf.subarray(start, end)).toString('latin1'))
    const from = end + 1
    if (from + length > this.buf.length) fail(`string of ${length} bytes at ${start} runs past the end`)
    this.pos = from + length
    return this.buf.subarray(from, from + length)
  }

  dict (depth: number): BDict {
    if (depth >= MAX_DEPTH) fail(`dict nested deeper than ${MAX_DEPTH} at ${this.pos}`)
    const start = this.pos++
    const out: BDict = new Map()
    let previous: Uint8Array | null = null
    while (this.buf[this.pos] !== E) {
      if (this.pos >= this.buf.length) fail(`unterminated dict at ${start}`)
      if (!isDigit(this.buf[this.pos])) fail(`dict key at ${this.pos} is not a string`)
      const key = this.string()
      if (previous !== null && Buffer.compare(previous, key) >= 0) {
        throw new ProtocolViolationError('non-canonical', `dict keys not strictly ascending at ${this.pos}`)
      }
      previous = key
      out.set(Buffer.from(key).toString('latin1'), this.value(depth + 1))
    }
    this.pos++
    return out
  }
}

/** Decodes exactly one canonical bencoded value spanning all of `buf`. */
export function decodeStrict (buf: Uint8Array): BValue {
  const reader = new Reader(buf)
  const value = reader.value(0)
  if (reader.pos !== buf.length) fail(`${buf.length - reader.pos} trailing bytes`)
  return value
}

/** Encodes canonically (keys sorted bytewise). */
export function encode (value: BValue): Uint8Array {
  const parts: Uint8Array[] = []
  write(value, parts)
  return Buffer.concat(parts)
}

function write (value: BValue, parts: Uint8Array[]): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`)
    parts.push(Buffer.from(`i${value}e`, 'latin1'))
  } else if (value instanceof Uint8Array) {
    parts.push(Buffer.from(`${value.length}:`, 'latin1'), value)
  } else {
    parts.push(Buffer.from('d', 'latin1'))
    const keys = [...value.keys()].map(k => Buffer.from(k, 'latin1')).sort((a, b) => Buffer.compare(a, b))
    for (const key of keys) {
      parts.push(Buffer.from(`${key.length}:`, 'latin1'), key)
      write(value.get(key.toString('latin1'))!, parts)
    }
    parts.push(Buffer.from('e', 'latin1'))
  }
}
