/** `seed <magnet>`: fetch the info dictionary from a peer first, so --data can be checked against it. */
import { TorrentEngine, lookupOnly, parseAddress, type MagnetLink, type TorrentMeta } from '../swarm/index.ts'
import { CliError } from './errors.ts'
import { checkUrl } from './flags.ts'
import { cliLogger } from './logging.ts'
import { encryptionOption, type NetOptions } from './net-options.ts'
import type { Discovery } from './discovery-options.ts'

/**
 * A metadata-only engine (nothing opened on disk) on a free port dials --peer, the link's x.pe peers and
 * trackers, and stops once the info dictionary arrived and hashed to the link's info hash.
 */
export async function fetchMagnetMetadata (magnet: MagnetLink, o: NetOptions, discovery?: Discovery): Promise<TorrentMeta> {
  for (const p of o.peer) {
    try { parseAddress(p) } catch { throw new CliError(`--peer "${p}" is not host:port`, 'write it like 127.0.0.1:6881', 2) }
  }
  for (const url of o.tracker) checkUrl(url)
  const encryption = encryptionOption(o)
  const dht = discovery?.dht ?? null
  if (o.peer.length === 0 && magnet.peers.length === 0 && magnet.announce.length === 0 && o.tracker.length === 0 && dht === null) {
    throw new CliError('the magnet link names no peer or tracker to fetch its metadata from, and the DHT is off', 'add a peer that has the torrent with --peer, turn on --dht, or seed the .torrent file', 2)
  }
  const logger = cliLogger(o)
  const engine = new TorrentEngine({ logger }, {
    torrent: magnet,
    dataDir: '.',
    // It only dials out: loopback unless --host names an address.
    ...(o.host !== undefined ? { host: o.host } : {}),
    port: 0,
    peers: o.peer,
    metadataOnly: true,
    encryption,
    // A metadata fetch looks the torrent up but announces nothing: it has no data to serve yet.
    ...(dht !== null ? { dht: lookupOnly(dht) } : {}),
    ...(o.tracker.length > 0 ? { announce: o.tracker } : {})
  })
  try {
    await engine.start()
    return await engine.waitForMetadata()
  } finally {
    await engine.stop()
  }
}
