/** Starts the DHT node and LSD that `seed`/`get` asked for (discovery-flags.ts), once per process. */
import { isIPv4 } from 'node:net'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { DhtListenError, DhtNode, LsdSource, parseAddress, PUBLIC_BOOTSTRAP } from '../swarm/index.ts'
import { seedpayHome } from '../util/home.ts'
import type { DiscoveryFlags } from './discovery-flags.ts'
import { CliError } from './errors.ts'
import { EXIT_BAD_INPUT } from './explain.ts'
import { intOption } from './flags.ts'

export interface Discovery {
  dht: DhtNode | null
  lsd: LsdSource | null
  /** What is on, for the stall explanation (`dht`, `lsd`). */
  names: string[]
  stop(): Promise<void>
}

/** `SEEDPAY_DHT=off` (or 0, false, no): the default is off; an explicit flag still wins. */
function envDefault (name: string): boolean {
  const v = process.env[name]?.trim().toLowerCase()
  return v === undefined || !['off', '0', 'false', 'no'].includes(v)
}

/** Which sources are on, and the DHT's bootstrap list, checked (exit 2 on a bad one). */
export function discoveryChoice (o: DiscoveryFlags): { dht: boolean, lsd: boolean, bootstrap: string[] } {
  const bootstrap = o.dhtBootstrap === undefined ? PUBLIC_BOOTSTRAP : o.dhtBootstrap.split(',').map(s => s.trim()).filter(s => s !== '')
  for (const b of bootstrap) {
    try { parseAddress(b) } catch { throw new CliError(`--dht-bootstrap "${b}" is not host:port`, 'write it like 127.0.0.1:6881,router.bittorrent.com:6881', 2) }
  }
  const dht = o.dht ?? (o.dhtBootstrap !== undefined || envDefault('SEEDPAY_DHT'))
  return { dht, lsd: o.lsd ?? envDefault('SEEDPAY_LSD'), bootstrap }
}

/**
 * The DHT binds IPv4 (BEP 5's compact addresses): the listen host when it is one, else every interface. With a
 * specific host, our own announces are stored against it, so our node answers for us from the first lookup.
 */
export async function startDiscovery (o: DiscoveryFlags & { port: string, host?: string }, logger: Logger): Promise<Discovery> {
  const choice = discoveryChoice(o)
  const listenPort = intOption('--port', o.port, 0, 65535)
  const specific = o.host !== undefined && isIPv4(o.host) && o.host !== '0.0.0.0' ? o.host : undefined
  let dht: DhtNode | null = null
  if (choice.dht) {
    const port = o.dhtPort === undefined ? listenPort : intOption('--dht-port', o.dhtPort, 0, 65535)
    dht = new DhtNode({ logger }, {
      port,
      host: specific ?? '0.0.0.0',
      bootstrap: choice.bootstrap,
      readOnly: o.dhtReadOnly === true,
      allowLocal: o.dhtLocal === true,
      stateDir: join(seedpayHome(), 'dht'),
      ...(specific !== undefined ? { announceHost: specific } : {})
    })
    try {
      await dht.start()
    } catch (err) {
      if (err instanceof DhtListenError) throw new CliError(err.message, 'pick another --dht-port, or --no-dht', EXIT_BAD_INPUT)
      throw err
    }
  }
  const lsd = choice.lsd ? new LsdSource({ logger }) : null
  return {
    dht,
    lsd,
    names: [...(dht !== null ? ['dht'] : []), ...(lsd !== null ? ['lsd'] : [])],
    stop: async () => { await dht?.stop() }
  }
}
