/**
 * Why a download makes no progress, in one line a person can act on. Pure: `explainStall` reads a snapshot
 * of what the engine and the payment layer reported (collected by stall-watch.ts) and the time; it never
 * looks at a clock itself, so every reason is unit-tested without waiting.
 */
import { formatBtt } from './amounts.ts'

/** Nothing verified for this long means stalled (the `get` default; `--stall-timeout` only ends the run). */
export const DEFAULT_STALL_AFTER_MS = 10_000
/** A reason is repeated only when it changes, and at most this often. */
export const STALL_REPEAT_MS = 30_000
/** A connection that ends this soon after its handshake, without us closing it, was refused by the peer. */
export const QUICK_CLOSE_MS = 5_000
/** Two such closes in a row (no longer connection between them) make the pattern. */
export const QUICK_CLOSES_TO_REPORT = 2

/** What is known about one peer address (the address we dialled, or the one that connected to us). */
export interface PeerFacts {
  address: string
  /** Connects that failed since the last success, and the newest error (ECONNREFUSED, connect timeout, …). */
  dialFailures: number
  lastDialError: string | null
  /** BEP 3 handshakes completed with this address. */
  handshakes: number
  /** A connection is open now (handshake done, not closed). */
  connected: boolean
  /** Connections the peer ended within QUICK_CLOSE_MS of the handshake, in a row. */
  quickCloses: number
  /** Its BEP 10 handshake lists the seedpay extension. */
  seedpay: boolean
  /** The price its seedpay hello asked, in base units per MiB; null if unknown or free. */
  askedPricePerMiB: bigint | null
  /** The newest seedpay refusal on this peer: `by` us (we refused it) or the peer (it refused us). */
  refusal: { by: 'us' | 'peer', code: string, msg: string } | null
  /** It has unchoked us at least once on the current or an earlier connection. */
  everUnchoked: boolean
  /** It is unchoking us now. */
  unchoked: boolean
  /** It announced at least one piece (bitfield or have); null before any announcement. */
  hasPieces: boolean | null
}

export interface StallSnapshot {
  /** When verified bytes last grew, or the run started (ms, same clock as `now`). */
  lastProgressAt: number
  /** When piece data last arrived (it may not have verified yet: a large piece takes a while); null: never. */
  lastReceivedAt: number | null
  /** Trackers announced to (0: the torrent has none and no --tracker). */
  trackers: number
  /** `--peer` addresses given, plus a magnet's own `x.pe` peers. */
  directPeers: number
  /** Peer sources besides trackers and --peer that are on (`dht`, `lsd`); none: only trackers and --peer. */
  discovery?: readonly string[]
  magnet: boolean
  /** Our --max-price (base units per MiB) when paying; null for a plain download. */
  maxPricePerMiB: bigint | null
  peers: readonly PeerFacts[]
}

export type StallCode =
  | 'no-source' | 'no-peers' | 'foreign-resync' | 'price' | 'refused' | 'paying-only' | 'closes-after-handshake'
  | 'unreachable' | 'choked' | 'no-pieces' | 'slow'

export interface StallReason {
  code: StallCode
  /** Peer addresses the reason is about. */
  peers: string[]
  /** One line, without the `stalled: ` prefix. */
  message: string
  /** What to do. */
  hint: string
}

/** The reason a download is stalled at `now`, or null while it is not (progress within `stallAfterMs`). */
export function explainStall (s: StallSnapshot, now: number, stallAfterMs = DEFAULT_STALL_AFTER_MS): StallReason | null {
  if (now - s.lastProgressAt < stallAfterMs) return null
  if (s.peers.length === 0) return noPeers(s)
  const groups = new Map<StallCode, PeerFacts[]>()
  for (const p of s.peers) {
    const code = classify(p, s.maxPricePerMiB)
    groups.set(code, [...(groups.get(code) ?? []), p])
  }
  // the first code in this order that some peer has: the most specific, most actionable explanation wins
  for (const code of ORDER) {
    const ps = groups.get(code)
    if (ps === undefined) continue
    // data still arriving with nothing else wrong is a large piece on its way, not a stall
    if (code === 'slow' && s.lastReceivedAt !== null && now - s.lastReceivedAt < stallAfterMs) return null
    return describe(code, ps, s, now)
  }
  return null
}

const ORDER: readonly StallCode[] = ['foreign-resync', 'price', 'refused', 'paying-only', 'closes-after-handshake', 'unreachable', 'choked', 'no-pieces', 'slow']

function classify (p: PeerFacts, maxPrice: bigint | null): StallCode {
  if (p.refusal?.code === 'foreign-resync') return 'foreign-resync'
  if (p.refusal?.code === 'price' || (maxPrice !== null && p.askedPricePerMiB !== null && p.askedPricePerMiB > maxPrice)) return 'price'
  if (p.refusal !== null) return 'refused'
  if (p.seedpay && maxPrice === null && !p.everUnchoked && p.handshakes > 0) return 'paying-only'
  if (p.quickCloses >= QUICK_CLOSES_TO_REPORT) return 'closes-after-handshake'
  if (!p.connected && p.dialFailures > 0) return 'unreachable'
  if (p.connected && !p.unchoked) return 'choked'
  if (p.connected && p.hasPieces === false) return 'no-pieces'
  return 'slow'
}

function noPeers (s: StallSnapshot): StallReason {
  const found = s.discovery ?? []
  if (s.trackers === 0 && s.directPeers === 0 && found.length > 0) {
    return {
      code: 'no-peers',
      peers: [],
      message: `no peers: the ${found.map(f => f.toUpperCase()).join(' and ')} found none yet`,
      hint: 'wait for a seeder to announce, or pass --peer host:port (a seeder of this torrent), or --tracker <url>'
    }
  }
  if (s.trackers === 0 && s.directPeers === 0) {
    return {
      code: 'no-source',
      peers: [],
      message: `no peers: the ${s.magnet ? 'magnet link' : 'torrent'} has no tracker and no --peer was given`,
      hint: 'pass --peer host:port (a seeder of this torrent), or --tracker <url>'
    }
  }
  return {
    code: 'no-peers',
    peers: [],
    message: s.trackers > 0 ? `no peers: the tracker${s.trackers > 1 ? 's' : ''} returned none yet` : 'no peers: none of the given peers could be tried',
    hint: 'check the --tracker URL and that a seeder announced there, or pass --peer host:port'
  }
}

function describe (code: StallCode, ps: PeerFacts[], s: StallSnapshot, now: number): StallReason {
  const peers = ps.map(p => p.address)
  const one = ps.length === 1
  const who = one ? peers[0]! : `${ps.length} peers (${list(peers)})`
  const only = s.peers.length === 1
  switch (code) {
    case 'foreign-resync':
      return {
        code, peers,
        message: `${who} ${one ? 'was' : 'were'} refused: ${one ? 'its' : 'their'} newest receipt from you is not signed by your keys (foreign-resync)`,
        hint: 'its ledger and yours disagree about this channel: sign with the key that made your earlier receipts (--signer-key), or use another seeder'
      }
    case 'price': {
      const asked = ps.map(p => p.askedPricePerMiB).filter((x): x is bigint => x !== null).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      const lo = asked[0]
      const hi = asked[asked.length - 1]
      const ask = lo === undefined ? '' : ` (${one ? 'it asks' : 'they ask'} ${lo === hi ? formatBtt(lo) : `${formatBtt(lo)}–${formatBtt(hi!)}`})`
      const max = s.maxPricePerMiB === null ? '' : ` ${formatBtt(s.maxPricePerMiB)} BTT/MiB`
      return {
        code, peers,
        message: `${one ? `${peers[0]!} charges` : `${ps.length} peers charge`} more than --max-price${max}${ask}`,
        hint: lo === undefined ? 'raise --max-price' : `raise --max-price to at least ${formatBtt(lo)}`
      }
    }
    case 'refused': {
      const r = ps[0]!.refusal!
      return {
        code, peers,
        message: r.by === 'us' ? `${who}: refused (${r.code}): ${r.msg}` : `${who} refuses us (${r.code}): ${r.msg}`,
        hint: REFUSAL_HINTS[r.code] ?? 'rerun with --log-level info for details'
      }
    }
    case 'paying-only':
      return {
        code, peers,
        message: only ? `the only seeder (${peers[0]!}) serves paying peers only` : `${who} serve${one ? 's' : ''} paying peers only (seedpay, no free slot for us)`,
        hint: 'pass --max-price <BTT/MiB> with --key-file (and a deposit) to pay, or add a free seeder with --peer'
      }
    case 'closes-after-handshake':
      return {
        code, peers,
        message: `${who} close${one ? 's' : ''} every connection right after the handshake (Transmission accepts one connection per IP)`,
        hint: 'close the other connection from this IP to it (another client on this machine), or connect from another address with --host'
      }
    case 'unreachable': {
      const errs = ps.map(p => `${p.address} (${errorText(p.lastDialError)})`)
      return {
        code, peers,
        message: one ? `cannot connect to ${errs[0]!}` : `cannot connect to ${ps.length} peers: ${list(errs)}`,
        hint: 'check the address and that the seeder runs'
      }
    }
    case 'choked':
      return {
        code, peers,
        message: `${who} ${one ? 'is' : 'are'} connected but ${one ? 'does' : 'do'} not unchoke us (upload slots taken)`,
        hint: 'wait for a free slot, or add peers with --peer'
      }
    case 'no-pieces':
      return {
        code, peers,
        message: `${who} ${one ? 'has' : 'have'} none of the pieces we miss`,
        hint: 'add a peer that has the whole torrent with --peer'
      }
    default:
      return {
        code: 'slow', peers,
        message: `nothing verified for ${Math.round((now - s.lastProgressAt) / 1000)} s from ${who}`,
        hint: 'wait, or rerun with --log-level info to see what the peers do'
      }
  }
}

const REFUSAL_HINTS: Record<string, string> = {
  chain: 'it is on another chain: pass the --network (or --rpc) it uses',
  escrow: 'it uses another escrow: pass the --escrow (or --network) it uses',
  self: 'it announces your own account: do not download from your own seeder with the same key',
  'payee-address': 'it announces an account that can never be paid: use another seeder',
  'price-in-use': 'you are already buying another of its torrents at another price: this one follows once that one ends',
  'bad-proof': 'its hello proof does not hold: use another seeder',
  'unauthorised-signer': 'your signing key is not registered for your account: run `seedpay signer set <address>` or pass --key-file',
  underpaid: 'your receipts pay less than its price: check --max-price and the ledger (--ledger)',
  stale: 'your ledger is behind the seeder\'s: use the ledger your earlier downloads wrote (--ledger)',
  version: 'it speaks another seedpay version: update one of the two',
  protocol: 'it broke or saw a broken seedpay message: rerun with --log-level debug'
}

const ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'timed out',
  'connect timeout': 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EADDRNOTAVAIL: 'cannot connect from the --host address',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed'
}

function errorText (code: string | null): string { return code === null ? 'no answer' : ERRORS[code] ?? code }

/** At most three items, then "and N more". */
function list (items: string[]): string {
  return items.length <= 3 ? items.join(', ') : `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`
}

/** When to print a reason: the first one at once, then only a changed one, and never twice within STALL_REPEAT_MS. */
export class StallReportPlan {
  private lastText: string | null = null
  private lastAt = -Infinity

  /** Whether `reason` should be printed at `now` (and remembers it if so). */
  due (reason: StallReason, now: number): boolean {
    const text = `${reason.code}|${reason.message}`
    if (text === this.lastText || now - this.lastAt < STALL_REPEAT_MS) return false
    this.lastText = text
    this.lastAt = now
    return true
  }

  /** Progress came back: the next stall is reported at once, even with the same reason. */
  reset (): void {
    this.lastText = null
    this.lastAt = -Infinity
  }
}
