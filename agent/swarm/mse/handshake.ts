/**
 * The MSE/PE handshake as a state machine without a socket: `feed` takes bytes from the peer and returns bytes to
 * send, and once done the negotiated link. Initiator and responder in one class because they share the buffering,
 * the sync search and the key schedule. Every violation throws MseError; the caller closes that connection only.
 */
import { randomBytes, randomInt } from 'node:crypto'
import { MseError } from '../errors.ts'
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, DH_KEY_BYTES, HASH_BYTES, MAX_IA, MAX_PAD, MAX_REQ1_SEARCH, MAX_VC_SEARCH, VC } from './constants.ts'
import { DhKeys, hash } from './dh.ts'
import { cryptoProvide, cryptoSelect, type EncryptionPolicy } from './policy.ts'
import { createRc4, type Rc4 } from './rc4.ts'

/** What the handshake leaves behind: the payload ciphers (null for plaintext) and bytes already received. */
export interface MseLink {
  method: 'plaintext' | 'rc4'
  /** Info hash (hex) the handshake proved both sides know. */
  infoHash: string
  encrypt: Rc4 | null
  decrypt: Rc4 | null
  /** Payload bytes received with the handshake's end, already decrypted; the BitTorrent handshake starts here. */
  initial: Buffer
}

export interface MseStep { send: Buffer[], link: MseLink | null }

/** Responder's torrent lookup: the info hash whose HASH('req2', SKEY) equals `req2`, or null. */
export type FindTorrent = (req2: Buffer) => string | null

type Phase = 'yb' | 'vc-sync' | 'select' | 'pad-d' | 'ya' | 'req1-sync' | 'req2' | 'provide' | 'pad-c' | 'ia-len' | 'ia' | 'done'

const KEY_A = Buffer.from('keyA')
const KEY_B = Buffer.from('keyB')
const REQ1 = Buffer.from('req1')
const REQ3 = Buffer.from('req3')

function u16 (n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b }
function u32 (n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }
function pad (): Buffer { return randomBytes(randomInt(0, MAX_PAD + 1)) }

export interface MseHandshakeInit {
  role: 'initiator' | 'responder'
  policy: EncryptionPolicy
  /** Initiator: the torrent we dial for. */
  infoHash?: string
  /** Responder: finds the torrent named by req2. */
  findTorrent?: FindTorrent
}

export class MseHandshake {
  private readonly role: 'initiator' | 'responder'
  private readonly policy: EncryptionPolicy
  private readonly findTorrent: FindTorrent | undefined
  private readonly dh = new DhKeys()
  private infoHash: string | null
  private phase: Phase
  private buf: Buffer = Buffer.alloc(0)
  private s: Buffer | null = null
  private enc: Rc4 | null = null
  private dec: Rc4 | null = null
  private padLeft = 0
  private selected = 0
  private provided = 0
  private ia: Buffer = Buffer.alloc(0)
  /** Initiator: ENCRYPT(VC), the pattern PadB ends with. */
  private vcPattern: Buffer | null = null

  constructor (init: MseHandshakeInit) {
    if (init.policy === 'off') throw new MseError('encryption is off')
    this.role = init.role
    this.policy = init.policy
    this.findTorrent = init.findTorrent
    this.infoHash = init.infoHash ?? null
    this.phase = init.role === 'initiator' ? 'yb' : 'ya'
    if (init.role === 'initiator' && this.infoHash === null) throw new MseError('initiator needs an info hash')
    if (init.role === 'responder' && this.findTorrent === undefined) throw new MseError('responder needs a torrent lookup')
  }

  get done (): boolean { return this.phase === 'done' }

  /** Initiator's step 1 (Ya, PadA); the responder sends nothing first. */
  start (): Buffer[] {
    return this.role === 'initiator' ? [this.dh.publicKey, pad()] : []
  }

  feed (chunk: Buffer): MseStep {
    if (this.phase === 'done') throw new MseError('data after the handshake ended')
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk])
    const send: Buffer[] = []
    for (;;) {
      const before: Phase = this.phase
      const link = this.step(send)
      if (link !== null) return { send, link }
      if (this.phase === before) return { send, link: null }
    }
  }

  /** Advance as far as the buffered bytes allow; returns the link when the handshake ends. */
  private step (send: Buffer[]): MseLink | null {
    switch (this.phase) {
      case 'ya': {
        const ya = this.take(DH_KEY_BYTES)
        if (ya === null) return null
        this.s = this.secret(ya)
        send.push(this.dh.publicKey, pad())
        this.phase = 'req1-sync'
        return null
      }
      case 'req1-sync': {
        const at = this.sync(hash(REQ1, this.s!), MAX_REQ1_SEARCH, 'HASH(req1, S) not found in 512 bytes of PadA')
        if (at < 0) return null
        this.phase = 'req2'
        return null
      }
      case 'req2': {
        const x = this.take(HASH_BYTES)
        if (x === null) return null
        const req3 = hash(REQ3, this.s!)
        for (let k = 0; k < HASH_BYTES; k++) x[k]! ^= req3[k]!
        const infoHash = this.findTorrent!(x)
        if (infoHash === null) throw new MseError('no such torrent (req2 matches no info hash served here)')
        this.infoHash = infoHash
        this.keys()
        this.phase = 'provide'
        return null
      }
      case 'provide': {
        const h = this.take(VC.length + 6)
        if (h === null) return null
        this.dec!.apply(h)
        if (!h.subarray(0, VC.length).equals(VC)) throw new MseError('bad verification constant in step 3')
        this.provided = h.readUInt32BE(8)
        this.padLeft = this.padLength(h.readUInt16BE(12), 'PadC')
        this.phase = 'pad-c'
        return null
      }
      case 'pad-c': {
        if (!this.skip()) return null
        this.phase = 'ia-len'
        return null
      }
      case 'ia-len': {
        const h = this.take(2)
        if (h === null) return null
        this.dec!.apply(h)
        this.padLeft = h.readUInt16BE(0)
        if (this.padLeft > MAX_IA) throw new MseError(`initial payload of ${this.padLeft} bytes exceeds ${MAX_IA}`)
        this.phase = 'ia'
        return null
      }
      case 'ia': {
        const ia = this.take(this.padLeft)
        if (ia === null) return null
        this.dec!.apply(ia)
        this.ia = ia
        return this.respond(send)
      }
      case 'yb': {
        const yb = this.take(DH_KEY_BYTES)
        if (yb === null) return null
        this.s = this.secret(yb)
        this.keys()
        const xor = hash(Buffer.from('req2'), Buffer.from(this.infoHash!, 'hex'))
        const req3 = hash(REQ3, this.s)
        for (let k = 0; k < HASH_BYTES; k++) xor[k]! ^= req3[k]!
        const padC = Buffer.alloc(0)
        const body = Buffer.concat([VC, u32(cryptoProvide(this.policy)), u16(padC.length), padC, u16(0)])
        this.enc!.apply(body)
        send.push(hash(REQ1, this.s), xor, body)
        this.phase = 'vc-sync'
        return null
      }
      case 'vc-sync': {
        // ENCRYPT(VC) is VC xor the peer's first 8 keystream bytes; computing it advances our decryptor past VC, as
        // consuming the pattern does
        this.vcPattern ??= (() => { const p = Buffer.from(VC); this.dec!.apply(p); return p })()
        if (this.sync(this.vcPattern, MAX_VC_SEARCH, 'ENCRYPT(VC) not found in 512 bytes of PadB') < 0) return null
        this.phase = 'select'
        return null
      }
      case 'select': {
        const h = this.take(6)
        if (h === null) return null
        this.dec!.apply(h)
        this.selected = h.readUInt32BE(0)
        const provided = cryptoProvide(this.policy)
        if (this.selected !== CRYPTO_PLAINTEXT && this.selected !== CRYPTO_RC4) throw new MseError(`crypto_select ${this.selected} is not one method`)
        if ((this.selected & provided) === 0) throw new MseError(`crypto_select ${this.selected} was not offered (${provided})`)
        this.padLeft = this.padLength(h.readUInt16BE(4), 'PadD')
        this.phase = 'pad-d'
        return null
      }
      case 'pad-d': {
        if (!this.skip()) return null
        return this.finish(this.selected, Buffer.alloc(0))
      }
      case 'done': return null
    }
  }

  /** Responder's step 4 once step 3 is in. */
  private respond (send: Buffer[]): MseLink {
    const select = cryptoSelect(this.policy, this.provided)
    if (select === 0) throw new MseError(`peer offers crypto_provide ${this.provided}, policy ${this.policy} accepts none of it`)
    const body = Buffer.concat([VC, u32(select), u16(0)])
    this.enc!.apply(body)
    send.push(body)
    return this.finish(select, this.ia)
  }

  private finish (method: number, ia: Buffer): MseLink {
    this.phase = 'done'
    const rest = this.buf
    this.buf = Buffer.alloc(0)
    const rc4 = method === CRYPTO_RC4
    if (rc4) this.dec!.apply(rest)
    return {
      method: rc4 ? 'rc4' : 'plaintext',
      infoHash: this.infoHash!,
      encrypt: rc4 ? this.enc : null,
      decrypt: rc4 ? this.dec : null,
      initial: ia.length === 0 ? rest : Buffer.concat([ia, rest])
    }
  }

  private secret (y: Buffer): Buffer {
    try {
      return this.dh.secret(y)
    } catch (err) {
      throw new MseError(`bad Diffie-Hellman key: ${(err as Error).message}`)
    }
  }

  /** keyA encrypts initiator → responder, keyB the other way. */
  private keys (): void {
    const skey = Buffer.from(this.infoHash!, 'hex')
    const a = createRc4(hash(KEY_A, this.s!, skey))
    const b = createRc4(hash(KEY_B, this.s!, skey))
    this.enc = this.role === 'initiator' ? a : b
    this.dec = this.role === 'initiator' ? b : a
  }

  private padLength (n: number, what: string): number {
    if (n > MAX_PAD) throw new MseError(`${what} of ${n} bytes exceeds ${MAX_PAD}`)
    return n
  }

  /**
   * Finds `pattern` in the buffered bytes (everything since the search began is kept), which must end within `limit`
   * bytes. On a hit the padding and the pattern are consumed. Returns the offset, or -1 to wait for more.
   */
  private sync (pattern: Buffer, limit: number, failure: string): number {
    const at = this.buf.indexOf(pattern)
    if (at >= 0 && at + pattern.length <= limit) {
      this.buf = this.buf.subarray(at + pattern.length)
      return at
    }
    if (this.buf.length >= limit) throw new MseError(failure)
    return -1
  }


  private take (n: number): Buffer | null {
    if (this.buf.length < n) return null
    const out = Buffer.from(this.buf.subarray(0, n))
    this.buf = this.buf.subarray(n)
    return out
  }

  /** Consumes `padLeft` bytes of padding through the decryptor (the keystream runs over padding too). */
  private skip (): boolean {
    const n = Math.min(this.padLeft, this.buf.length)
    if (n > 0) {
      this.dec!.apply(Buffer.from(this.buf.subarray(0, n)))
      this.buf = this.buf.subarray(n)
      this.padLeft -= n
    }
    return this.padLeft === 0
  }
}
