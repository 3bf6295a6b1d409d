/**
 * `seedpay seed --network local,local-bttc --price local=0.01,local-bttc=0.005`: a seeder accepting receipts on
 * several networks (docs/cli.md, docs/protocol.md §1). The flags of such a run are split into one set of flags per
 * network, each exactly what a one-network `seed` takes, so every network is set up by the same code.
 *
 * The rule, one for every per-network option: with several networks, `--price`, `--rpc`, `--tron`, `--escrow` and
 * `--ledger` take `<network>=<value>` items separated by commas. A `--price` without names is every network's price;
 * a node, an escrow or a ledger without a name would be one network's, so it is refused with several networks.
 */
import { NETWORKS, type NetworkName } from './chain-flags.ts'
import { CliError } from './errors.ts'
import type { PaymentFlags } from './payment-flags.ts'

/** Options whose value is one network's: a name per value with several networks. */
const PER_NETWORK = ['rpc', 'tron', 'escrow', 'ledger'] as const
type PerNetworkKey = typeof PER_NETWORK[number]
const FLAG: Record<PerNetworkKey | 'price', string> = { rpc: '--rpc', tron: '--tron', escrow: '--escrow', ledger: '--ledger', price: '--price' }

/** The networks `--network` names (one, or several separated by commas), in the order given: the first is the primary. */
export function networkNames (raw: string): string[] {
  return raw.split(',').map(s => s.trim())
}

/**
 * One set of flags per network `--network` names, each with its own price, node, escrow and ledger.
 * @throws CliError (exit 2) for an unknown or repeated network, or a per-network value that names no network of the run
 */
export function splitNetworks (o: PaymentFlags): PaymentFlags[] {
  const names = networkNames(o.network)
  if (names.length === 1 && !isPerNetwork(o.price, names)) return [o]
  for (const [i, n] of names.entries()) {
    if (!(NETWORKS as readonly string[]).includes(n)) throw new CliError(`--network "${n}" is not one of ${NETWORKS.join(', ')}`, 'list the networks to accept separated by commas, e.g. --network local,local-bttc', 2)
    if (names.indexOf(n) !== i) throw new CliError(`--network names ${n} twice`, 'name each network once', 2)
  }
  const nets = names as NetworkName[]
  const price = o.price === undefined ? undefined : valuesOf('price', o.price, nets, true)
  const per = Object.fromEntries(PER_NETWORK.map(k => [k, o[k] === undefined ? undefined : valuesOf(k, o[k], nets, false)])) as Record<PerNetworkKey, Map<string, string> | undefined>
  return nets.map(network => {
    const flags: PaymentFlags = { ...o, network }
    for (const k of PER_NETWORK) delete flags[k]
    const p = price?.get(network)
    if (p !== undefined) flags.price = p
    for (const k of PER_NETWORK) {
      const v = per[k]?.get(network)
      if (v !== undefined) flags[k] = v
    }
    return flags
  })
}

/** Whether `raw` is written `<network>=<value>,…` (its first item starts with a network name and `=`). */
function isPerNetwork (raw: string | undefined, names: readonly string[]): boolean {
  if (raw === undefined) return false
  const head = raw.split(',')[0]!.split('=')[0]!.trim()
  return raw.includes('=') && ((NETWORKS as readonly string[]).includes(head) || names.includes(head))
}

function valuesOf (key: PerNetworkKey | 'price', raw: string, nets: readonly NetworkName[], sharedAllowed: boolean): Map<string, string> {
  const flag = FLAG[key]
  const example = `${flag} ${nets.map(n => `${n}=${key === 'price' ? '0.01' : '…'}`).join(',')}`
  if (!isPerNetwork(raw, nets)) {
    if (sharedAllowed || nets.length === 1) return new Map(nets.map(n => [n, raw]))
    throw new CliError(`${flag} ${raw} names no network, and this seeder accepts ${nets.join(', ')}`, `name the network of each value: ${example}`, 2)
  }
  const out = new Map<string, string>()
  for (const item of raw.split(',')) {
    const eq = item.indexOf('=')
    const name = eq < 0 ? '' : item.slice(0, eq).trim()
    const value = eq < 0 ? '' : item.slice(eq + 1).trim()
    if (eq < 0 || value === '') throw new CliError(`${flag} item "${item}" is not <network>=<value>`, `write it like ${example}`, 2)
    if (!(nets as readonly string[]).includes(name)) throw new CliError(`${flag} names ${name}, which --network does not list (${nets.join(', ')})`, `add it to --network, or drop it from ${flag}`, 2)
    if (out.has(name)) throw new CliError(`${flag} names ${name} twice`, 'give each network one value', 2)
    out.set(name, value)
  }
  const missing = key === 'price' ? nets.filter(n => !out.has(n)) : []
  if (missing.length > 0) throw new CliError(`--price gives no price for ${missing.join(', ')}`, `price every network the seeder accepts: ${example}`, 2)
  return out
}
