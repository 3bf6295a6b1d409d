/** The swarm options `seed` and `get` share: where to listen, whom to dial, how to report. */
import { networkInterfaces } from 'node:os'
import type { Command } from 'commander'
import { addDiscoveryOptions, type DiscoveryFlags } from './discovery-flags.ts'
import { collect } from './flags.ts'
import { addLogOptions } from './log-flags.ts'
import { STOP_BOUND_MS } from './shutdown.ts'
import { CliError } from './errors.ts'
import { EXIT_BAD_INPUT } from './explain.ts'
import { ENCRYPTION_POLICIES, isEncryptionPolicy, type EncryptionPolicy } from '../swarm/mse/policy.ts' // not the index: --help must not load the handshake (test/e2e/cli-build.test.ts)

/** How long `seed` may take to stop after the first signal: its shutdown settlement waits for the chain. */
const SEED_STOP_TIMEOUT_S = 30

export interface NetOptions extends DiscoveryFlags { host?: string, port: string, peer: string[], tracker: string[], json: boolean, logLevel: string, logFile: string, maxPeers: string, encryption: string, stallTimeout?: string, stopTimeout: string }

export function netOptions (cmd: Command): Command {
  const c = cmd
    .option('--host <ip>', 'address to listen on (default: every interface, IPv4 and IPv6)')
    .option('-p, --port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--peer <host:port>', 'peer to connect to (repeatable)', collect, [])
    .option('-t, --tracker <url>', 'tracker announce URL (repeatable; default: the torrent\'s own)', collect, [])
    // the engine's DEFAULT_MAX_PEERS (agent/swarm/peer-manager.ts): libtorrent's connections_limit
    .option('--max-peers <n>', 'most connections for this torrent', '200')
    // libtorrent's enc_policy: prefer = pe_enabled (the default there too), require = pe_forced with rc4, off = pe_disabled
    .option('--encryption <policy>', 'MSE/PE encrypted connections: prefer (dial encrypted, fall back to plain; accept both), require (RC4 only, both ways), off (plain only)', 'prefer')
    .option('--json', 'print JSON event lines instead of a progress bar', false)
  // A charging seed settles on the way out, and a TRON settlement waits for its block: give it longer.
  const stopDefault = cmd.name() === 'seed' ? String(SEED_STOP_TIMEOUT_S) : String(STOP_BOUND_MS / 1000)
  c.option('--stop-timeout <seconds>', 'after Ctrl-C/SIGTERM, exit at once if stopping (and settling) takes longer than this; a second signal exits at once', stopDefault)
  // Only a download can stall; `seed` has its data (see stall.ts for the reasons it explains).
  if (cmd.name() === 'get') c.option('--stall-timeout <seconds>', 'give up (exit 4) after this long without a verified piece, with the reason (default: keep trying)')
  return addLogOptions(addDiscoveryOptions(c))
}

/** `--encryption`, checked: one of prefer, require, off (exit 2 otherwise). */
export function encryptionOption (o: Pick<NetOptions, 'encryption'>): EncryptionPolicy {
  if (isEncryptionPolicy(o.encryption)) return o.encryption
  throw new CliError(`--encryption "${o.encryption}" is not a policy`, `use one of ${ENCRYPTION_POLICIES.join(', ')}`, EXIT_BAD_INPUT)
}

/**
 * Where `seed`/`get` listen: `--host`, else every interface. `::` takes IPv4 too (dual stack), so peers on the
 * LAN and beyond can connect; a machine without IPv6 listens on 0.0.0.0 instead.
 */
export function listenHost (o: Pick<NetOptions, 'host'>): string {
  if (o.host !== undefined) return o.host
  const v6 = Object.values(networkInterfaces()).some(list => list?.some(i => i.family === 'IPv6') === true)
  return v6 ? '::' : '0.0.0.0'
}
