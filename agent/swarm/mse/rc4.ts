/**
 * RC4 for MSE/PE payloads. Node 20's OpenSSL 3 refuses `createCipheriv('rc4', …)` ("unsupported") unless the process
 * starts with `--openssl-legacy-provider`, which bin/seedpay.js passes. Where it is missing (tests under tsx, a library
 * user's process) the pure-JS keystream runs. Measured by scripts/bench/mse.ts (docs/benchmarks.md): OpenSSL's ~500
 * MiB/s; the JS one 350–400 MiB/s alone but ~150 MiB/s inside a process that also ran engines and handshakes (its
 * loop goes polymorphic), so OpenSSL's is used whenever it exists.
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
  /**
   * A closure over the state rather than fields read in the loop: measured 340 against 240 MiB/s here (V8 keeps
   * the captured state and indexes in registers).
   */
  readonly apply: (buf: Uint8Array) => void

  constructor (key: Uint8Array) {
    const s = new Uint8Array(256)
    for (let k = 0; k < 256; k++) s[k] = k
    let j = 0
    for (let k = 0; k < 256; k++) {
      const x = s[k]!
      j = (j + x + key[k % key.length]!) & 0xff
      s[k] = s[j]!
      s[j] = x
    }
    let i = 0
    j = 0
    this.apply = (buf: Uint8Array): void => {
      let a = i
      let b = j
      const n = buf.length
      for (let k = 0; k < n; k++) {
        a = (a + 1) & 0xff
        const x = s[a]!
        b = (b + x) & 0xff
        const y = s[b]!
        s[a] = y
        s[b] = x
        buf[k]! ^= s[(x + y) & 0xff]!
      }
      i = a
      j = b
    }
    // a Buffer, like every later call: one element kind keeps the loop monomorphic
    this.apply(Buffer.alloc(RC4_DROP))
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

const NATIVE = nativeRc4Available()
/** Which RC4 `createRc4` gives in this process. */
export const RC4_IMPLEMENTATION: 'openssl' | 'js' = NATIVE ? 'openssl' : 'js'

/** The RC4 the agent uses: OpenSSL's when this process has it (faster, see above), else the JS one. */
export function createRc4 (key: Uint8Array): Rc4 { return NATIVE ? new NativeRc4(key) : new JsRc4(key) }
