/**
 * What the CLI prints for an error: one line saying what went wrong, one hint saying what to do, and the exit
 * code of docs/cli.md (1 the operation failed, 2 bad input). CliErrors say it themselves; for the others the
 * hint follows the error's kind, and for Node's system errors its errno code and syscall: a refused connection
 * gets a network hint naming the address, a missing file a file hint naming the path.
 */
// The error classes' own modules, not their layers' index.ts: every command loads this file, and an index would
// bring the whole chain client or swarm into the bundle's first chunk (scripts/build.ts).
import { MissingArtifactError } from '../chain/artifacts.ts'
import { InvalidTorrentError, StorageError, InvalidPeerAddressError, MetadataTimeoutError } from '../swarm/errors.ts'
import { CliError } from './errors.ts'

export interface Explained { message: string, hint: string, code: number }

export const EXIT_FAILED = 1
export const EXIT_BAD_INPUT = 2

export function explain (err: unknown): Explained {
  if (err instanceof CliError) return { message: err.message, hint: err.hint, code: err.exitCode }
  if (err instanceof InvalidTorrentError) return explainTorrent(err)
  if (err instanceof StorageError) return { message: err.message, hint: `check that ${err.path} exists, is writable and has room`, code: EXIT_FAILED }
  if (err instanceof InvalidPeerAddressError) return { message: err.message, hint: 'write peers like 127.0.0.1:6881', code: EXIT_BAD_INPUT }
  if (err instanceof MetadataTimeoutError) return { message: err.message, hint: 'add a peer that has the torrent with --peer, or use the .torrent file', code: EXIT_FAILED }
  if (err instanceof MissingArtifactError) return { message: err.message, hint: 'the contract artifacts are missing from this install: run `npm run compile` in the seedpay folder, or reinstall the package', code: EXIT_FAILED }
  const sys = systemError(err)
  if (sys !== undefined) {
    const known = explainSystemError(sys)
    if (known !== undefined) return known
  }
  return { message: err instanceof Error ? err.message : String(err), hint: 'this was not expected: rerun with --log-level debug for details, and report it', code: EXIT_FAILED }
}

function explainTorrent (err: InvalidTorrentError): Explained {
  const m = err.message
  // The torrent came from a peer (magnet metadata), not from the command line.
  if (err.source === 'metadata') return { message: m, hint: 'a peer sent metadata that does not match the magnet link; run the same command again, or use the .torrent file', code: EXIT_FAILED }
  if (err.field === 'input') return { message: m, hint: `check that ${err.source} is the file or directory you want to share`, code: EXIT_BAD_INPUT }
  if (err.field === 'file') return { message: m, hint: `check the path ${err.source}: give a .torrent file or a magnet: link`, code: EXIT_BAD_INPUT }
  if (err.source === 'magnet link') return { message: m, hint: 'a magnet link looks like magnet:?xt=urn:btih:<40 hex digits>', code: EXIT_BAD_INPUT }
  return { message: m, hint: 'check the .torrent file or magnet link; recreate it with `seedpay create` if needed', code: EXIT_BAD_INPUT }
}

/** A Node system error (errno code, syscall, path or address), found on the error itself or in its causes. */
export interface SystemError { code: string, message: string, syscall?: string, path?: string, address?: string, port?: number, hostname?: string }

export function systemError (err: unknown): SystemError | undefined {
  const seen = new Set<unknown>()
  let e: unknown = err
  while (typeof e === 'object' && e !== null && !seen.has(e)) {
    seen.add(e)
    const x = e as Partial<NodeJS.ErrnoException> & { address?: unknown, port?: unknown, hostname?: unknown, errors?: unknown }
    // Node's happy-eyeballs connect throws an AggregateError with an empty message: the first attempt says it all.
    if (Array.isArray(x.errors) && x.errors.length > 0 && (typeof x.message !== 'string' || x.message === '')) { e = x.errors[0]; continue }
    if (typeof x.code === 'string' && /^E[A-Z0-9_]+$/.test(x.code) && (typeof x.syscall === 'string' || typeof x.errno === 'number')) {
      return {
        code: x.code,
        message: typeof x.message === 'string' && x.message !== '' ? x.message : x.code,
        ...(typeof x.syscall === 'string' ? { syscall: x.syscall } : {}),
        ...(typeof x.path === 'string' ? { path: x.path } : {}),
        ...(typeof x.address === 'string' ? { address: x.address } : {}),
        ...(typeof x.port === 'number' ? { port: x.port } : {}),
        ...(typeof x.hostname === 'string' ? { hostname: x.hostname } : {})
      }
    }
    e = x.cause
  }
  return undefined
}

/** Syscalls that talk to the network: their errors get network hints; any other syscall's get file hints. */
const NET_SYSCALLS = new Set(['connect', 'getaddrinfo', 'getnameinfo', 'queryA', 'queryAaaa', 'listen', 'bind', 'send', 'accept'])

export function explainSystemError (e: SystemError): Explained | undefined {
  const path = e.path ?? 'the path given on the command line'
  const where = e.address !== undefined ? (e.port !== undefined ? `${e.address}:${e.port}` : e.address) : (e.hostname ?? 'the address given on the command line')
  const host = e.hostname ?? where
  const net = e.syscall !== undefined ? NET_SYSCALLS.has(e.syscall) : e.path === undefined
  // The same code means different things to a socket and to a file (EACCES: a low port, or permissions).
  const hint = net ? (netHint(e.code, where, host, e.syscall) ?? fileHint(e.code, path)) : (fileHint(e.code, path) ?? netHint(e.code, where, host, e.syscall))
  return hint !== undefined ? { message: e.message, ...hint } : undefined
}

function fileHint (code: string, path: string): { hint: string, code: number } | undefined {
  switch (code) {
    case 'ENOENT': return { hint: `check that ${path} exists (or its folder, for a file to write)`, code: EXIT_BAD_INPUT }
    case 'ENOTDIR': return { hint: `part of ${path} is a file, not a folder: check the path`, code: EXIT_BAD_INPUT }
    case 'EISDIR': return { hint: `${path} is a folder: give a file`, code: EXIT_BAD_INPUT }
    case 'EEXIST': return { hint: `${path} already exists: pick another path or remove it`, code: EXIT_BAD_INPUT }
    case 'ENAMETOOLONG': return { hint: `${path} is too long a path: pick a shorter one`, code: EXIT_BAD_INPUT }
    case 'EACCES':
    case 'EPERM': return { hint: `check the permissions of ${path} (and of the folders above it)`, code: EXIT_FAILED }
    case 'ENOSPC':
    case 'EDQUOT': return { hint: `the disk holding ${path} is full: free space, or pick another place`, code: EXIT_FAILED }
    case 'EROFS': return { hint: `${path} is on a read-only file system: pick a writable place`, code: EXIT_FAILED }
    case 'EMFILE':
    case 'ENFILE': return { hint: 'too many open files: raise the limit (ulimit -n) or lower --max-peers', code: EXIT_FAILED }
    case 'EIO': return { hint: `the disk holding ${path} failed to read or write: check it`, code: EXIT_FAILED }
    default: return undefined
  }
}

function netHint (code: string, where: string, host: string, syscall: string | undefined): { hint: string, code: number } | undefined {
  switch (code) {
    case 'ECONNREFUSED': return { hint: `nothing accepts connections at ${where}: check the address and that the service there is running`, code: EXIT_FAILED }
    case 'ETIMEDOUT': return { hint: `${where} did not answer in time: check the address and your connection`, code: EXIT_FAILED }
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN': return { hint: `${where} cannot be reached from this machine: check the address and your network`, code: EXIT_FAILED }
    case 'ECONNRESET':
    case 'EPIPE': return { hint: `${where} closed the connection: check it is the right service, then try again`, code: EXIT_FAILED }
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME': return { hint: `the host name ${host} does not resolve: check its spelling and your DNS`, code: EXIT_FAILED }
    case 'EADDRINUSE': return { hint: `${where} is already in use: pick another --port, or 0 for any free port`, code: EXIT_BAD_INPUT }
    case 'EACCES':
    case 'EPERM': return syscall === 'listen' || syscall === 'bind' ? { hint: `listening on ${where} needs privileges (ports below 1024 do): pick a --port above 1023`, code: EXIT_BAD_INPUT } : undefined
    case 'EADDRNOTAVAIL': return { hint: `${where} is not an address of this machine: pass one with --host`, code: EXIT_BAD_INPUT }
    default: return undefined
  }
}
