/**
 * The daemon's configuration file (TOML): where it listens, its API, whether and how it charges, and the torrents
 * it seeds. Keys are the command-line flags of `seedpay seed` without their dashes (`price`, `key-file`,
 * `max-exposure`), so what works on the command line carries over. Validated with zod; unknown keys are refused,
 * so a misspelt key never silently falls back to a default. Every error names the key and the fix.
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parse as parseToml, TomlError } from 'smol-toml'
import * as z from 'zod'
import { bttUnits } from '../pay/index.ts'
import { ConfigError } from './errors.ts'
import { DEFAULT_ENCRYPTION, ENCRYPTION_POLICIES } from '../swarm/mse/policy.ts'

/** A BTT amount as text ("0.0001"): checked for shape here, converted by the same parser as the CLI flags. */
const btt = z.string().regex(/^\d[\d_]*(\.\d{1,18})?$|^\.\d{1,18}$/, 'must be a number of BTT (at most 18 decimals) written as a string, e.g. "0.0001"')
/** A torrent's own price: BTT per MiB, more than 0 (a torrent given away is `paid = false`). */
export const torrentPrice = btt.refine(t => bttUnits(t) !== 0n, 'must be more than 0 (to give a torrent away, write paid = false)')
const freeSlots = z.number().int().min(0).max(100)
/** How one torrent (or every torrent of a source) is sold where it differs from [payments]: its price and free slots. */
const sale = {
  /** With [payments]: false seeds to everyone for free. */
  paid: z.boolean().default(true),
  price: torrentPrice.optional(),
  'free-slots': freeSlots.optional()
}
const mib = z.string().regex(/^\d+(\.\d+)?$/, 'must be a number of MiB written as a string, e.g. "32"')
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port, e.g. "0.0.0.0:6881" or "[::]:6881"')
  .refine(s => { const p = Number(s.slice(s.lastIndexOf(':') + 1)); return p >= 0 && p <= 65535 }, 'port must be 0-65535')

const torrentEntry = z.strictObject({
  /** The .torrent file. */
  file: z.string().min(1),
  /** The shared file or directory, or the directory that contains it (as `seed --data`). */
  data: z.string().min(1),
  ...sale
})

const schema = z.strictObject({
  daemon: z.strictObject({
    listen: hostPort.default('0.0.0.0:6881'),
    api: hostPort.default('127.0.0.1:7373'),
    'max-peers': z.number().int().min(1).max(10_000).default(200),
    /** MSE/PE on the daemon's port and its dials: prefer | require | off (agent/swarm/mse/policy.ts). */
    encryption: z.enum(ENCRYPTION_POLICIES).default(DEFAULT_ENCRYPTION),
    'log-level': z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),
    'log-file': z.string().min(1).optional(),
    /** Seconds a stop (settling included) may take before the daemon exits anyway. */
    'stop-timeout': z.number().int().min(1).max(3600).default(30)
  }).prefault({}),
  payments: z.strictObject({
    price: btt,
    network: z.enum(['local', 'nile', 'mainnet', 'local-bttc', 'donau', 'bttc']).default('local'),
    rpc: z.string().url().optional(),
    tron: z.string().url().optional(),
    escrow: z.string().optional(),
    'key-file': z.string().optional(),
    key: z.string().optional(),
    'passphrase-file': z.string().optional(),
    ledger: z.string().optional(),
    credit: mib.optional(),
    'free-slots': freeSlots.default(4),
    'settle-threshold': btt.optional(),
    'settle-interval': z.number().int().min(1).max(86_400).default(60),
    'max-exposure': btt.optional(),
    'want-lane': btt.optional(),
    'max-staleness': z.number().int().min(1).max(86_400).default(30)
  }).optional(),
  /** Seed every .torrent dropped into `folder` from the data under `data` (watch-folder.ts). */
  watch: z.strictObject({
    folder: z.string().min(1),
    data: z.string().min(1),
    ...sale,
    /** Seconds between two looks at the folder. */
    poll: z.number().int().min(1).max(3600).default(2)
  }).optional(),
  /** Sell what the user's Transmission has finished (transmission-sync.ts). */
  transmission: z.strictObject({
    rpc: z.string().url().default('http://127.0.0.1:9091/transmission/rpc'),
    username: z.string().optional(),
    password: z.string().optional(),
    /** A file holding the password (mode 600), instead of writing it in the config. */
    'password-file': z.string().optional(),
    /** Seconds between two looks at Transmission's list. */
    poll: z.number().int().min(1).max(3600).default(10),
    /** With [payments]: charge for the imported torrents (false: give them away), at [payments]' price or their own. */
    ...sale
  }).refine(t => t.password === undefined || t['password-file'] === undefined, { message: 'give password or password-file, not both', path: ['password'] }).optional(),
  torrent: z.array(torrentEntry).default([])
})

export type DaemonConfig = z.infer<typeof schema>
export type ConfiguredTorrent = z.infer<typeof torrentEntry>

/** Where the config is read when `--config` is not given: $SEEDPAY_HOME/config.toml, else ~/.config/seedpay/config.toml. */
export function defaultConfigPath (): string {
  const home = process.env['SEEDPAY_HOME']
  if (home !== undefined && home.trim() !== '') return join(resolve(home), 'config.toml')
  const xdg = process.env['XDG_CONFIG_HOME']
  return join(xdg !== undefined && xdg.trim() !== '' ? xdg : join(homedir(), '.config'), 'seedpay', 'config.toml')
}

/**
 * Reads and validates the config at `path`. Relative paths inside it (torrent files, data, key files) are taken
 * from the config's own directory, as a person reading the file would expect.
 * @throws ConfigError naming the file, the key and the fix
 */
export async function loadConfig (path: string): Promise<DaemonConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new ConfigError(path, null, 'does not exist', 'write one with `seedpay config init`, or pass --config <file>')
    throw new ConfigError(path, null, `cannot be read (${code ?? (err as Error).message})`, 'check its permissions')
  }
  return parseConfig(path, text)
}

/** Validates config text (`path` is where it came from: messages name it, relative paths resolve from it). */
export function parseConfig (path: string, text: string): DaemonConfig {
  let raw: unknown
  try {
    raw = parseToml(text)
  } catch (err) {
    const e = err as TomlError
    const where = e instanceof TomlError ? `line ${e.line}, column ${e.column}` : 'somewhere'
    throw new ConfigError(path, null, `is not valid TOML at ${where}: ${firstLine(e.message)}`, 'fix the syntax there (strings need quotes, tables [name], lists of tables [[torrent]])')
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const key = issue.path.map((p, i) => typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`).join('')
    const message = issue.code === 'unrecognized_keys'
      ? `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map(k => `"${k}"`).join(', ')}`
      : issue.code === 'invalid_type' && issue.message.endsWith('received undefined') ? 'is required' : issue.message
    const hint = issue.code === 'unrecognized_keys'
      ? 'check the spelling against `seedpay config init` (keys are the flags of `seedpay seed` without dashes)'
      : `fix ${key === '' ? 'the file' : key} (see docs/daemon.md for every key)`
    throw new ConfigError(path, issue.code === 'unrecognized_keys' ? (key === '' ? null : key) : key, message, hint)
  }
  const c = parsed.data
  checkSales(path, c)
  const base = dirname(resolve(path))
  const at = (p: string): string => resolve(base, p)
  return {
    ...c,
    daemon: { ...c.daemon, ...(c.daemon['log-file'] !== undefined ? { 'log-file': at(c.daemon['log-file']) } : {}) },
    ...(c.payments !== undefined
      ? {
          payments: {
            ...c.payments,
            ...(c.payments['key-file'] !== undefined ? { 'key-file': at(c.payments['key-file']) } : {}),
            ...(c.payments['passphrase-file'] !== undefined ? { 'passphrase-file': at(c.payments['passphrase-file']) } : {}),
            ...(c.payments.ledger !== undefined ? { ledger: at(c.payments.ledger) } : {})
          }
        }
      : {}),
    ...(c.watch !== undefined ? { watch: { ...c.watch, folder: at(c.watch.folder), data: at(c.watch.data) } } : {}),
    ...(c.transmission !== undefined
      ? { transmission: { ...c.transmission, ...(c.transmission['password-file'] !== undefined ? { 'password-file': at(c.transmission['password-file']) } : {}) } }
      : {}),
    torrent: c.torrent.map(t => ({ ...t, file: at(t.file), data: at(t.data) }))
  }
}

const firstLine = (s: string): string => s.split('\n')[0] ?? s

/** A price or free slots only mean something for a torrent that is charged for: say so rather than ignore them. */
function checkSales (path: string, c: z.infer<typeof schema>): void {
  const sales: Array<[string, { paid: boolean, price?: string | undefined, 'free-slots'?: number | undefined }]> = [
    ...c.torrent.map((t, i): [string, typeof t] => [`torrent[${i}]`, t]),
    ...(c.watch !== undefined ? [['watch', c.watch] as [string, typeof c.watch]] : []),
    ...(c.transmission !== undefined ? [['transmission', c.transmission] as [string, typeof c.transmission]] : [])
  ]
  for (const [where, s] of sales) {
    const own = s.price !== undefined ? 'price' : s['free-slots'] !== undefined ? 'free-slots' : null
    if (own === null) continue
    if (c.payments === undefined) throw new ConfigError(path, `${where}.${own}`, 'needs a [payments] table: without one every torrent is free', `add [payments] with your price and key-file, or remove ${where}.${own}`)
    if (!s.paid) throw new ConfigError(path, `${where}.${own}`, 'is set for a torrent with paid = false, which is free for everyone', `remove ${where}.${own}, or write paid = true`)
  }
}

/** What `seedpay config init` writes: every key, commented, with its default. */
export function configTemplate (): string {
  return `# seedpay daemon configuration. Every key is optional unless marked; docs/daemon.md explains them.
# Keys are the flags of \`seedpay seed\` without their dashes. Relative paths are read from this file's folder.

[daemon]
# where peers connect, for every torrent (one port for all of them)
listen = "0.0.0.0:6881"
# the local API that \`seedpay status | list | add | remove | pause | resume\` use (keep it on 127.0.0.1)
api = "127.0.0.1:7373"
# most connections per torrent
max-peers = 200
# silent, error, warn, info or debug; the log goes to ~/.seedpay/logs unless log-file says otherwise
log-level = "info"
# log-file = "seedpay-daemon.log"
# seconds a stop (settling what is owed included) may take before the daemon exits anyway
stop-timeout = 30

# Charge paying peers. Leave this table out to seed for free; ordinary BitTorrent peers are served either way.
# [payments]
# price = "0.0001"              # required: BTT per MiB uploaded
# network = "local"             # local, nile, mainnet, local-bttc, donau or bttc
# key-file = "account.key"      # your account's key (or key = "<name>" from \`seedpay key list\`)
# credit = "32"                 # MiB a payer is served ahead of its newest receipt
# free-slots = 4                # upload slots for peers that never pay (0: payers only)
# max-exposure = "0.0064"       # BTT of a payer's unreserved balance to serve against (docs/risk.md)
# want-lane = "0"               # BTT each payer is asked to reserve for you alone
# settle-threshold = "0.01"     # settle a payer once it owes this much (default: worth a settlement's fee)
# settle-interval = 60          # seconds between threshold checks

# Seed every .torrent dropped into a folder, from the data under another (removing the file stops it).
# [watch]
# folder = "/srv/torrents"
# data = "/srv/downloads"
# paid = true
# price = "0.0002"              # its torrents' own price (default: [payments] price)
# free-slots = 4                # its torrents' own free slots (default: [payments] free-slots)
# poll = 2                      # seconds between two looks at the folder

# Sell what your Transmission has finished, from its own files (read-only; verified before serving).
# [transmission]
# rpc = "http://127.0.0.1:9091/transmission/rpc"
# username = "me"               # its rpc-username, if its RPC asks for one
# password-file = "tr.pass"     # its rpc-password, in a file (or password = "...")
# poll = 10                     # seconds between two looks at its list
# paid = true                   # false: give its torrents away, even with [payments]
# price = "0.0002"              # what they are sold at (default: [payments] price)

# One table per torrent to seed (\`seedpay add\` adds more while the daemon runs).
# [[torrent]]
# file = "debian.iso.torrent"   # the .torrent file
# data = "/srv/downloads"       # the shared file or directory, or the directory that contains it
# paid = true                   # false: free for everyone, even with [payments]
# price = "0.0005"              # this torrent's own price in BTT per MiB (default: [payments] price)
# free-slots = 0                # this torrent's own slots for peers that never pay (default: [payments] free-slots)
`
}
