/**
 * `--dht`, `--dht-port`, `--dht-bootstrap`, `--dht-read-only`, `--dht-local`, `--lsd` for `seed` and `get`:
 * declarations only (discovery-options.ts starts what they ask for). Both sources are on for people; the
 * environment's SEEDPAY_DHT=off / SEEDPAY_LSD=off turn the defaults off (the test suite sets both, so no test
 * reaches the public DHT or the LAN unless it asks), and an explicit flag always wins.
 */
import type { Command } from 'commander'

export interface DiscoveryFlags {
  /** undefined: neither --dht nor --no-dht was given. */
  dht?: boolean
  dhtPort?: string
  dhtBootstrap?: string
  dhtReadOnly?: boolean
  dhtLocal?: boolean
  lsd?: boolean
}

export function addDiscoveryOptions (cmd: Command): Command {
  return cmd
    .option('--dht', 'find peers on the DHT (BEP 5) and announce there (default: on; SEEDPAY_DHT=off turns the default off)')
    .option('--no-dht', 'do not use the DHT')
    .option('--dht-port <n>', 'UDP port of our DHT node (default: --port when it is not 0, else any free port)')
    .option('--dht-bootstrap <host:port,...>', 'DHT nodes to join through, comma-separated; "" for none (default: the public routers; implies --dht)')
    .option('--dht-read-only', 'BEP 43: query the DHT but answer no query and announce nothing', false)
    .option('--dht-local', 'accept private and loopback DHT nodes and peers (a DHT on one machine or LAN; by default they are ignored)', false)
    .option('--lsd', 'find peers on the LAN with Local Service Discovery (BEP 14) (default: on; SEEDPAY_LSD=off turns the default off)')
    .option('--no-lsd', 'do not use Local Service Discovery')
}
