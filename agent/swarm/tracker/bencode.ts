/**
 * A strict bencode decoder (BEP 3) for tracker responses.
 *
 * The `bencode` package is lenient by design (it accepts "i03e", negative string lengths, trailing bytes), and
 * a tracker response comes from the network, so we parse it ourselves and reject anything non-canonical with a
 * typed error instead of guessing. Dictionary key order is NOT enforced: BEP 3 asks for sorted keys, but
 * deployed trackers (hand-written PHP and Perl ones) emit unsorted dictionaries and refusing them would only
 * lose peers. Duplicate keys are rejected, since they make the meaning ambiguous. Keys are kept as latin1
 * strings (one char per byte): tracker keys are ASCII, and binary keys (scrape's info hashes) stay lossless.
 */
import { BencodeError } from './errors.ts'

/** Nesting deeper than this is not a tracker response; it also bounds the recursion. */
const MAX_DEPTH = 32
/** Longest integer literal we accept: 16 digits keeps every value inside Number.MAX_SAFE_INTEGER's range check. */
const MAX_INT_DIGITS = 16

export type BValue = number | Uint8Array | BValue[] | BDict
export interface BDict { readonly [key: string]: BValue }

const I = 0x69; const L = 0x6c; const D = 0x64; const E = 0x65; const COLON = 0x3a
const ZERO = 0x30; const NINE = 0x39; const MINUS = 0x2d

const utf8 = new TextDecoder('utf-8', { fatal: false })

class Decoder {
  pos = 0
  constructor (private readonly buf: Uint8Array) {}

  byte (): number {
    const b = this.buf[this.pos]
    if (b === undefined) throw new BencodeError('unexpected end of input', this.pos)
    return b
  }

  value (depth: number): BValue {
    if (depth > MAX_DEPTH) throw new BencodeError(`nesting deeper than ${MAX_DEPTH}`, this.pos)
    const b = this.byte()
    if (b === I) return this.integer()
    if (b === L) return this.list(depth)
    if (b === D) return this.dict(depth)
    if (b >= ZERO && b <= NINE) return this.string()
    throw new BencodeError(`unexpected byte 0x${b.toString(16)}`, this.pos)
  }

  /** Digits up to `end`, canonical: no leading zeros, no "-0", no sign unless allowed. */
  digits (end: number, allowNegative: boolean): number {
    const start = this.pos
    let negative = false
    if (this.byte() === MINUS) {
      if (!allowNegative) throw new BencodeError('negative length', this.pos)
      negative = true
      this.pos++
    }
    const first = this.pos
    while (true) {
      const b = this.byte()
      if (b === end) break
      if (b < ZERO || b > NINE) throw new BencodeError(`non-digit 0x${b.toString(16)} in number`, this.pos)
      this.pos++
    }
    const n = this.pos - first
    if (n === 0) throw new BencodeError('empty number', start)
    if (n > MAX_INT_DIGITS) throw new BencodeError('number too long', start)
    if (this.buf[first] === ZERO && (n > 1 || negative)) throw new BencodeError('non-canonical number', start)
    let v = 0
    for (let i = first; i < this.pos; i++) v = v * 10 + ((this.buf[i] as number) - ZERO)
    if (!Number.isSafeInteger(v)) throw new BencodeError('integer out of safe range', start)
    this.pos++ // the terminator
    return negative ? -v : v
  }

  integer (): number {
    this.pos++ // 'i'
    return this.digits(E, true)
  }

  string (): Uint8Array {
    const len = this.digits(COLON, false)
    const end = this.pos + len
    if (end > this.buf.length) throw new BencodeError(`string of ${len} bytes runs past the end`, this.pos)
    const out = this.buf.subarray(this.pos, end)
    this.pos = end
    return out
  }

  list (depth: number): BValue[] {
    this.pos++ // 'l'
    const out: BValue[] = []
    while (this.byte() !== E) out.push(this.value(depth + 1))
    this.pos++
    return out
  }

  dict (depth: number): BDict {
    this.pos++ // 'd'
    const out: Record<string, BValue> = Object.create(null) as Record<string, BValue>
    while (this.byte() !== E) {
      const at = this.pos
      const b = this.byte()
      if (b < ZERO || b > NINE) throw new BencodeError('dictionary key is not a string', at)
      // Byte-for-byte (Node's latin1 is ISO-8859-1; WHATWG's 'latin1' label is windows-1252 and is not).
      const raw = this.string()
      const key = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new BencodeError(`duplicate key "${key}"`, at)
      out[key] = this.value(depth + 1)
    }
    this.pos++
    return out
  }
}

/** Decode exactly one bencoded value filling all of `buf`; throws BencodeError otherwise. */
export function bdecode (buf: Uint8Array): BValue {
  const d = new Decoder(buf)
  const v = d.value(0)
  if (d.pos !== buf.length) throw new BencodeError(`${buf.length - d.pos} trailing bytes`, d.pos)
  return v
}

export function isDict (v: BValue | undefined): v is BDict {
  return v !== undefined && typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v)
}

export function isBytes (v: BValue | undefined): v is Uint8Array {
  return v instanceof Uint8Array
}

export function bytesToString (v: Uint8Array): string {
  return utf8.decode(v)
}

/** A latin1 dictionary key back to its bytes. */
export function keyToBytes (key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'latin1'))
}
