/**
 * seedpay message codec (BEP 10 extension payloads). Limits are at the top with their reasons; decoding
 * is strict: exact field set, types, lengths and canonical integers, or ProtocolViolationError.
 */
import { decodeStrict, encode, type BDict, type BValue } from './bencode.ts'
import { ProtocolViolationError } from './errors.ts'
import { bytesToAddress, addressToBytes, bytesToUint, uintToBytes, type Address } from '../pay/bytes.ts'
import type { SignedReceipt } from '../pay/receipt.ts'

/** docs/protocol.md §9: every seedpay message is at most 1 KiB (the largest possible hello is 376 bytes). */
export const MAX_MESSAGE_BYTES = 1024
/**
 * Protocol version in `hello.v`; a peer speaking another version is closed. v2: hellos carry `proof` (and `lane`).
 * v3: a payee raises (or lowers) the credit it grants with `credit` messages (docs/protocol.md §6).
 */
export const PROTOCOL_VERSION = 3
/** BEP 10 framing around a payload: length prefix (4) + message id 20 (1) + extended id (1). */
export const BEP10_FRAMING_BYTES = 6
/** Chain ids are uint256 (EIP-155); TRON's fit in 4 bytes. */
const MAX_CHAIN_BYTES = 32
/** settleBatch packs cumulativeBytes as uint64 and cumulativeAmount as uint128 (BatchEntry.sol). */
const MAX_RECEIPT_BYTES_LENGTH = 8
const MAX_AMOUNT_LENGTH = 16
/** A price above uint128 per MiB could only produce unsettleable amounts; credits are byte counts (uint64). */
const MAX_PRICE_LENGTH = 16
const MAX_CREDIT_LENGTH = 8
/** A lane is a token amount the payer reserves for one payee: uint128 like a receipt's amount. */
const MAX_LANE_LENGTH = 16
/** EIP-2098 compact signature `r ‖ vs`: 64 bytes instead of 65 keeps a receipt ≤ 128 bytes on the wire. */
const SIG_LENGTH = 64
/** Error codes are small integers; messages are short UTF-8 for logs. */
const MAX_ERROR_CODE = 999
const MAX_ERROR_MSG = 256


export interface HelloMessage {
  t: 'hello'
  chainId: bigint
  escrow: Address
  account: Address
  pricePerMiB: bigint
  credit: bigint
  /**
   * Signature by `account` or its registered signer over both peers' peer ids, the info hash, chain and escrow
   * (agent/pay/hello-proof.ts): proves the sender speaks for `account`. 64 bytes, EIP-2098.
   */
  proof: Uint8Array
  /** Token base units the sender, as payee, asks the payer to reserve for it to serve at full speed; absent = none. */
  lane?: bigint
  /** From a payee: the newest receipt it holds from the peer as payer. */
  last?: SignedReceipt
}

export interface ReceiptMessage extends SignedReceipt { t: 'rcpt' }

export interface ErrorMessage { t: 'err', code: number, msg: string }

/** From a payee: it now serves the payer up to `credit` bytes beyond the newest receipt it holds (replaces hello's). */
export interface CreditMessage { t: 'credit', credit: bigint }

export type SeedpayMessage = HelloMessage | ReceiptMessage | CreditMessage | ErrorMessage

/** The extension name in the BEP 10 handshake's `m` dict. */
export const EXTENSION_NAME = 'seedpay'

/** Error codes in `err.code` (docs/protocol.md). */
export const ERROR_CODES = {
  protocol: 1,
  version: 2,
  chain: 10,
  escrow: 11,
  price: 12,
  self: 13,
  'payee-address': 14,
  'price-in-use': 15,
  'bad-signature': 20,
  'unauthorised-signer': 21,
  stale: 22,
  underpaid: 23,
  'out-of-range': 24,
  'foreign-resync': 25,
  dust: 26,
  'bad-proof': 27,
  internal: 99
} as const
export type ErrorName = keyof typeof ERROR_CODES

const te = new TextEncoder()
const td = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const key = (k: string): string => k

/** The longest prefix of `text` whose UTF-8 fits in `max` bytes (never splits a character). */
function utf8Prefix (text: string, max: number): Uint8Array {
  let out = te.encode(text)
  let chars = text.length
  while (out.length > max) {
    chars = Math.max(0, chars - Math.ceil((out.length - max) / 4))
    out = te.encode(text.slice(0, chars).replace(/[\uD800-\uDBFF]$/, ''))
  }
  return out
}

function receiptDict (r: SignedReceipt): BDict {
  return new Map<string, BValue>([
    [key('a'), uintToBytes(r.amount)], [key('b'), uintToBytes(r.bytes)], [key('s'), r.sig]
  ])
}

export function encodeMessage (m: SeedpayMessage): Uint8Array {
  let dict: BDict
  switch (m.t) {
    case 'hello':
      dict = new Map<string, BValue>([
        ['t', te.encode('hello')], ['v', PROTOCOL_VERSION], ['chain', uintToBytes(m.chainId)],
        ['escrow', addressToBytes(m.escrow)], ['acct', addressToBytes(m.account)],
        ['price', uintToBytes(m.pricePerMiB)], ['credit', uintToBytes(m.credit)], ['proof', m.proof]
      ])
      // zero means no lane, and has one encoding: the field is left out
      if (m.lane !== undefined && m.lane !== 0n) dict.set('lane', uintToBytes(m.lane))
      if (m.last !== undefined) dict.set('last', receiptDict(m.last))
      break
    case 'rcpt':
      dict = receiptDict(m)
      dict.set('t', te.encode('rcpt'))
      break
    case 'credit':
      dict = new Map<string, BValue>([['t', te.encode('credit')], ['credit', uintToBytes(m.credit)]])
      break
    case 'err':
      dict = new Map<string, BValue>([['t', te.encode('err')], ['code', m.code], ['msg', utf8Prefix(m.msg, MAX_ERROR_MSG)]])
      break
  }
  const out = encode(dict)
  if (out.length > MAX_MESSAGE_BYTES) throw new RangeError(`${m.t} message of ${out.length} bytes exceeds ${MAX_MESSAGE_BYTES}`)
  return out
}

/** Every message's fields on the wire; docs/protocol.md §3 lists exactly these (protocol-doc.test.ts). */
export const MESSAGE_FIELDS: Readonly<Record<SeedpayMessage['t'], { required: readonly string[], optional: readonly string[] }>> = {
  hello: { required: ['acct', 'chain', 'credit', 'escrow', 'price', 'proof', 't', 'v'], optional: ['lane', 'last'] },
  rcpt: { required: ['a', 'b', 's', 't'], optional: [] },
  credit: { required: ['credit', 't'], optional: [] },
  err: { required: ['code', 'msg', 't'], optional: [] }
}
const FIELDS: Record<string, { required: readonly string[], optional: readonly string[] } | undefined> = MESSAGE_FIELDS

function checkFields (dict: BDict, required: readonly string[], optional: readonly string[], what: string): void {
  for (const k of required) if (!dict.has(k)) throw new ProtocolViolationError('bad-fields', `${what} lacks '${k}'`)
  for (const k of dict.keys()) {
    if (!required.includes(k) && !optional.includes(k)) throw new ProtocolViolationError('bad-fields', `${what} has unknown field '${k}'`)
  }
}

function bytesField (dict: BDict, name: string, min: number, max: number): Uint8Array {
  const v = dict.get(name)
  if (!(v instanceof Uint8Array)) throw new ProtocolViolationError('bad-field', `'${name}' is not a byte string`)
  if (v.length < min || v.length > max) throw new ProtocolViolationError('bad-field', `'${name}' has ${v.length} bytes, expected ${min}..${max}`)
  return v
}

function uintField (dict: BDict, name: string, maxLength: number): bigint {
  const v = bytesField(dict, name, 0, maxLength)
  if (v.length > 0 && v[0] === 0) throw new ProtocolViolationError('non-canonical', `'${name}' has a leading zero byte`)
  return bytesToUint(v)
}

function intField (dict: BDict, name: string, min: number, max: number): number {
  const v = dict.get(name)
  if (typeof v !== 'number' || v < min || v > max) throw new ProtocolViolationError('bad-field', `'${name}' is not an integer in ${min}..${max}`)
  return v
}

function receiptFields (dict: BDict): SignedReceipt {
  return {
    bytes: uintField(dict, 'b', MAX_RECEIPT_BYTES_LENGTH),
    amount: uintField(dict, 'a', MAX_AMOUNT_LENGTH),
    sig: Uint8Array.from(bytesField(dict, 's', SIG_LENGTH, SIG_LENGTH))
  }
}

/** Decodes one extension payload; throws ProtocolViolationError on anything but a valid canonical message. */
export function decodeMessage (buf: Uint8Array): SeedpayMessage {
  if (buf.length > MAX_MESSAGE_BYTES) throw new ProtocolViolationError('too-large', `${buf.length} bytes > ${MAX_MESSAGE_BYTES}`)
  const value = decodeStrict(buf)
  if (!(value instanceof Map)) throw new ProtocolViolationError('bad-fields', 'message is not a dict')
  const t = value.get('t')
  const type = t instanceof Uint8Array ? Buffer.from(t).toString('latin1') : null
  const spec = type !== null ? FIELDS[type] : undefined
  if (type === null || spec === undefined) throw new ProtocolViolationError('unknown-type', `type ${type === null ? '(none)' : JSON.stringify(type)}`)
  // The version first: another version's hello has other fields, and the peer deserves to hear why it is closed.
  if (type === 'hello' && value.has('v') && value.get('v') !== PROTOCOL_VERSION) {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any bencode value a peer sent; a rough echo is enough
    throw new ProtocolViolationError('bad-version', `version ${String(value.get('v'))}, we speak ${PROTOCOL_VERSION}`)
  }
  checkFields(value, spec.required, spec.optional, type)
  let message: SeedpayMessage
  if (type === 'hello') {
    message = {
      t: 'hello',
      chainId: uintField(value, 'chain', MAX_CHAIN_BYTES),
      escrow: bytesToAddress(bytesField(value, 'escrow', 20, 20)),
      account: bytesToAddress(bytesField(value, 'acct', 20, 20)),
      pricePerMiB: uintField(value, 'price', MAX_PRICE_LENGTH),
      credit: uintField(value, 'credit', MAX_CREDIT_LENGTH),
      proof: Uint8Array.from(bytesField(value, 'proof', SIG_LENGTH, SIG_LENGTH))
    }
    if (value.has('lane')) {
      const lane = uintField(value, 'lane', MAX_LANE_LENGTH)
      if (lane === 0n) throw new ProtocolViolationError('non-canonical', "'lane' is zero: no lane is written as no field")
      message.lane = lane
    }
    const last = value.get('last')
    if (last !== undefined) {
      if (!(last instanceof Map)) throw new ProtocolViolationError('bad-field', "'last' is not a dict")
      checkFields(last, ['a', 'b', 's'], [], 'hello.last')
      message.last = receiptFields(last)
    }
  } else if (type === 'rcpt') {
    message = { t: 'rcpt', ...receiptFields(value) }
  } else if (type === 'credit') {
    message = { t: 'credit', credit: uintField(value, 'credit', MAX_CREDIT_LENGTH) }
  } else {
    let msg: string
    try {
      msg = td.decode(bytesField(value, 'msg', 0, MAX_ERROR_MSG))
    } catch (err) {
      if (err instanceof ProtocolViolationError) throw err
      throw new ProtocolViolationError('bad-field', "'msg' is not UTF-8")
    }
    message = { t: 'err', code: intField(value, 'code', 0, MAX_ERROR_CODE), msg }
  }
  // Belt and braces: the reader only accepts canonical input, so re-encoding must give the same bytes.
  const again = encodeMessage(message)
  if (!Buffer.from(again).equals(buf)) throw new ProtocolViolationError('non-canonical', 're-encoding differs from input')
  return message
}
