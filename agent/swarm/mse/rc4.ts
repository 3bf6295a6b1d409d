/**
 * RC4 for MSE/PE payloads. Node 20's OpenSSL 3 refuses `createCipheriv('rc4', …)` ("unsupported") unless the process
 * starts with `--openssl-legacy-provider`, so a pure-JS keystream is the one that runs. It also works in place, which
 * the native cipher cannot: measured on this machine (scripts/bench/mse.ts), JS in place ~480 MiB/s against
 * native-with-legacy-provider ~390 MiB/s (that one allocates a new buffer per call).
 */
import { createCipheriv } from 'node:crypto'

/** MSE spec: discard the first 1024 bytes of each keystream (RC4's early bytes leak key bits). */
export const RC4_DROP = 1024

/** One direction's keystream; `apply` XORs it into `buf` in place and advances it. */
export interface Rc4 {
  apply (buf: Uint8Array): void
}

/** Pure-JS RC4 (ARC4), keystream already advanced past RC4_DROP bytes. */
export class JsRc4 implements Rc4 {
  private readonly s = new Uint8Array(256)
  private i = 0
  private j = 0

  constructor (key: Uint8Array) {
    const s = this.s
    for (let k = 0; k < 256; k++) s[k] = k
    let j = 0
    for (let k = 0; k < 256; k++) {
      const x = s[k]!
      j = (j + x + key[k % key.length]!) & 0xff
      s[k] = s[j]!
      s[j] = x
    }
    this.apply(new Uint8Array(RC4_DROP))
  }

  apply (buf: Uint8Array): void {
    // locals, not fields, inside the loop: V8 keeps them in registers (about 2x faster measured)
    const s = this.s
    let i = this.i
    let j = this.j
    const n = buf.length
    for (let k = 0; k < n; k++) {
      i = (i + 1) & 0xff
      const x = s[i]!
      j = (j + x) & 0xff
      const y = s[j]!
      s[i] = y
      s[j] = x
      buf[k]! ^= s[(x + y) & 0xff]!
    }
    this.i = i
    this.j = j
  }
}

/** OpenSSL's RC4, when the process runs with the legacy provider; copies back to keep `apply` in place. */
export class NativeRc4 implements Rc4 {
  private readonly cipher
  constructor (key: Uint8Array) {
    this.cipher = createCipheriv('rc4', key, null)
    this.cipher.update(Buffer.alloc(RC4_DROP))
  }

  apply (buf: Uint8Array): void {
    const out = this.cipher.update(buf)
    buf.set(out)
  }
}

/** Whether this process's OpenSSL offers RC4 (only with `--openssl-legacy-provider` on Node 20). */
export function nativeRc4Available (): boolean {
  try {
    createCipheriv('rc4', Buffer.alloc(16), null)
    return true
  } catch {
    return false
  }
}

/** The RC4 the agent uses: the JS one, faster here than the native one even where that one exists (see above). */
export function createRc4 (key: Uint8Array): Rc4 { return new JsRc4(key) }
