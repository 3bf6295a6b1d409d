/**
 * The reporter's events as one line for people (the bar mode on a terminal). The fields are the ones `--json`
 * prints, unchanged: amounts are BTT decimal strings, bytes numbers or decimal strings, addresses and transaction
 * ids full hex. Here amounts get their unit and thousands, bytes a binary unit, long hex is shortened (`--json` has
 * it in full), and lists of objects are written out instead of `[object Object]`. An event without its own line
 * gets the generic one, which renders any nesting readably.
 */
import { formatBytes } from '../util/format-bytes.ts'
import { groupThousands } from '../pay/btt.ts'

type Fields = Record<string, unknown>
type Line = (f: Fields) => string

/** `0x70997970c51812dc3a010c7d01b50e0d17dc79c8` → `0x7099…79c8`; other text is left alone. */
/** ` on <network>`: a seeder on several networks says which one a payer or a settlement is on. */
function onNetwork (f: Record<string, unknown>): string {
  return typeof f['network'] === 'string' ? ` on ${f['network']}` : ''
}

export function shortHex (v: unknown): string {
  const s = text(v)
  // a long decimal (an amount in base units, a byte count) is not hex: only 0x… or hex with a letter in it
  const hex = /^0x[0-9a-fA-F]{16,}$/.test(s) || (/^[0-9a-fA-F]{17,}$/.test(s) && /[a-fA-F]/.test(s))
  return hex ? `${s.slice(0, 6)}…${s.slice(-4)}` : s
}

/** A BTT decimal string (what the events carry) for people: "8564640" → "8,564,640 BTT". */
export function bttField (v: unknown): string {
  const s = text(v)
  return /^-?[0-9]+(\.[0-9]+)?$/.test(s) ? `${groupThousands(s)} BTT` : s
}

export function priceField (v: unknown): string {
  const s = bttField(v)
  return s.endsWith(' BTT') ? `${s}/MiB` : s
}

/** Bytes (a number or a decimal string) with a binary unit: 1.5 MiB. */
export function bytesText (v: unknown): string {
  const n = typeof v === 'number' ? v : Number(text(v))
  return Number.isFinite(n) ? formatBytes(n) : text(v)
}

/** Any value readably: lists joined with commas ("none" when empty), objects as `key value` pairs in parentheses. */
export function valueText (v: unknown): string {
  if (v === null || v === undefined) return '–'
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map(valueText).join(', ')
  if (typeof v === 'object') return `(${Object.entries(v as Fields).map(([k, x]) => `${k} ${valueText(x)}`).join(', ')})`
  return shortHex(v)
}

/** `name: key=value …` for events without their own line. */
export function genericText (name: string, f: Fields): string {
  const parts = Object.entries(f).map(([k, v]) => `${k}=${valueText(v)}`)
  return parts.length === 0 ? name : `${name}: ${parts.join(' ')}`
}

function text (v: unknown): string {
  if (v === null || v === undefined) return '–'
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v)
  return valueText(v)
}

function list (v: unknown): unknown[] { return Array.isArray(v) ? v : [] }
function field (v: unknown, k: string): unknown { return typeof v === 'object' && v !== null ? (v as Fields)[k] : undefined }
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`
const budgetText = (v: unknown): string => v === 'escrow balance' ? 'your escrow balance' : bttField(v)
const nonZero = (v: unknown): boolean => typeof v === 'string' && /[1-9]/.test(v)

const LINES: Record<string, Line> = {
  listening: f => `listening on ${text(f['host'])}:${text(f['port'])} · info hash ${text(f['infoHash'])} · ${bytesText(f['verifiedBytes'])} of ${bytesText(f['length'])} verified` +
    (f['resume'] !== undefined ? ` (resume data: ${text(f['resume'])})` : ''),
  streaming: f => `streaming ${text(f['path'])} (${bytesText(f['length'])}) at ${text(f['url'])}: open it in a player; Ctrl-C stops`,
  metadata: f => `metadata: "${text(f['name'])}", ${bytesText(f['length'])} in ${text(f['pieces'])} pieces`,
  'peer:connect': f => `peer ${text(f['address'])} connected (${f['direction'] === 'in' ? 'incoming' : 'outgoing'})`,
  'peer:close': f => `peer ${text(f['address'])} closed: ${text(f['reason'])}`,
  'peer:banned': f => `peer ${text(f['address'])} banned: ${text(f['reason'])}`,
  'piece:corrupt': f => `piece ${text(f['index'])} failed its SHA-1 check; sent by ${valueText(f['senders'])}`,
  done: f => `done: ${bytesText(f['verifiedBytes'])} verified (${text(f['pieces'])} pieces)`,
  stopping: f => `stopping (${text(f['signal'])}; at most ${text(f['boundS'])} s, a second Ctrl-C exits at once)…`,
  exit: f => `exit: ${bytesText(f['verifiedBytes'])} verified${f['done'] === true ? ' (complete)' : ''}; downloaded ${bytesText(f['downloaded'])}, uploaded ${bytesText(f['uploaded'])}`,
  payments: f => f['role'] === 'payee'
    ? `payments: charging ${priceField(f['pricePerMiB'])} as ${shortHex(f['account'])} on ${text(f['network'])} (escrow ${shortHex(f['escrow'])}); ` +
      `serving up to ${bytesText(f['creditBytes'])} ahead of payment (${bytesText(f['initialCreditBytes'])} to start), ${plural(Number(f['freeSlots']), 'free slot')}, settling a payer once it owes ${bttField(f['settleThreshold'])}, ` +
      `trusting at most ${bttField(f['maxExposure'])} of its unreserved balance${nonZero(f['wantLane']) ? `, asking for a ${bttField(f['wantLane'])} lane` : ''}; ledger ${text(f['ledger'])}`
    : `payments: paying at most ${priceField(f['maxPricePerMiB'])} as ${shortHex(f['account'])}${f['signer'] !== f['account'] ? ` (signer ${shortHex(f['signer'])})` : ''} on ${text(f['network'])} ` +
      `(escrow ${shortHex(f['escrow'])}); budget ${budgetText(f['budget'])}, ${bttField(f['spendable'])} spendable; ` +
      `${f['autoLane'] === true ? 'reserving the lanes seeders ask for' : 'reserving no lanes'}; ledger ${text(f['ledger'])}`,
  'payment:peer': f => f['pricePerMiB'] !== undefined
    ? `seeder ${shortHex(f['account'])} (peer ${shortHex(f['peerId'])}) asks ${priceField(f['pricePerMiB'])}${nonZero(f['wantsLane']) ? ` and a ${bttField(f['wantsLane'])} lane` : ''}`
    : `payer ${shortHex(f['account'])} (peer ${shortHex(f['peerId'])}) ready to pay${onNetwork(f)}`,
  'payment:refused': f => `payment refused (${text(f['code'])}), peer ${shortHex(f['peerId'])}: ${text(f['reason'])}`,
  'payment:uncovered': f => `payer ${shortHex(f['payer'])} is not covered (lane ${bttField(f['lane'])}, trusted free balance ${bttField(f['trustedFree'])}): ${text(f['action'])}`,
  settled: f => `settled (${text(f['reason'])}): ${text(f['method'])} ${shortHex(f['txId'])} total ${bttField(f['total'])}` +
    (typeof f['fee'] === 'string' ? `, fee ${f['fee']}` : '') + ' — ' +
    (list(f['payers']).map(p => `${shortHex(field(p, 'payer'))} ${bttField(field(p, 'paid'))} (receipt for ${bytesText(field(p, 'bytes'))})`).join(', ') || 'no payers'),
  'settle:failed': f => `settling failed (${text(f['reason'])}) for ${valueText(f['payers'])}: ${text(f['error'])}` +
    (typeof f['retryInMs'] === 'number' ? `; retrying in ${Math.ceil(f['retryInMs'] / 1000)} s` : ''),
  'watchtower:withdrawal': f => `watchtower: payer ${shortHex(f['payer'])} asked to withdraw ${bttField(f['amount'])} (tx ${shortHex(f['txId'])}); ${risk(f)}`,
  'watchtower:release': f => `watchtower: payer ${shortHex(f['payer'])} asked to release ${bttField(f['amount'])} of its lane (tx ${shortHex(f['txId'])}); ${risk(f)}`,
  'watchtower:signer': f => `watchtower: payer ${shortHex(f['payer'])} replaced its signer ${shortHex(f['previous'])} (tx ${shortHex(f['txId'])}); ${risk(f)}`,
  settlement: f => {
    const txs = list(f['txIds'])
    const failed = list(f['failed'])
    return `settlement on shutdown${onNetwork(f)}: ${txs.length === 0 ? 'nothing left to settle' : `${plural(txs.length, 'transaction')} (${valueText(txs)}) paid ${bttField(f['total'])}`}` +
      (failed.length > 0 ? `; failed for ${valueText(failed)}` : '')
  },
  'lane:reserved': f => `lane reserved (tx ${shortHex(f['txId'])}): ${list(f['lanes']).map(l => `${bttField(field(l, 'amount'))} for seeder ${shortHex(field(l, 'payee'))}`).join(', ') || 'none'}`,
  'budget:spent': f => `budget spent: signed ${bttField(f['spent'])} of ${budgetText(f['budget'])} (${bttField(f['free'])} free left); ${text(f['action'])}`,
  paid: f => `paid: signed ${bttField(f['spent'])} this run from ${shortHex(f['account'])}; receipts per seeder (all runs): ` +
    (list(f['channels']).map(c => `${shortHex(field(c, 'payee'))} ${bttField(field(c, 'amount'))} for ${bytesText(field(c, 'bytes'))}`).join(', ') || 'none'),
  stalled: f => `stalled: ${text(f['reason'])} — ${text(f['hint'])}`,
  daemon: f => `daemon: peers connect to ${text(f['listen'])} · ${text(f['seeding'])} of ${plural(Number(f['torrents']), 'torrent')} seeding${f['charging'] === true ? ', charging paying peers' : ', free'} · API ${text(f['api'])} (token in ${text(f['token'])}); \`seedpay list\` shows them`,
  'transmission:error': f => `Transmission at ${text(f['url'])}: ${text(f['reason'])} — ${text(f['action'])}`,
  'transmission:synced': f => `Transmission at ${text(f['url'])}: selling ${text(f['complete'])} finished of its ${plural(Number(f['torrents']), 'torrent')}`,
  'watch:error': f => `watch folder ${text(f['folder'])}: ${text(f['reason'])} — ${text(f['action'])}`,
  'torrent:error': f => `not serving ${f['name'] !== undefined ? `"${text(f['name'])}"` : text(f['file'])}: ${text(f['reason'])}`,
  warning: f => `warning: ${text(f['message'])}`
}

function risk (f: Fields): string {
  return `${bttField(f['unsettled'])} unsettled, ${bttField(f['atRisk'])} at risk${f['urgent'] === true ? ' → settling now' : ''}`
}

/** One line for people for the reporter event `name`. */
export function eventText (name: string, fields: Fields): string {
  const line = LINES[name]
  return line === undefined ? genericText(name, fields) : line(fields)
}
