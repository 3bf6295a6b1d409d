/**
 * deployments/<network>.json: where a network's escrow and token live. Written by the tronbox migration
 * (nile, mainnet) and by `deployLocal` (devtools/chain/local-deploy.ts: development, on anvil); read by the CLI, the demo and the smoke script.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
// zod/mini, not zod: the same validator in functions esbuild can tree-shake, ~50 KB of the CLI's bundle instead of
// ~750 KB that every chain command would parse at start (scripts/build.ts)
import * as z from 'zod/mini'
import { toEvmAddress, toTronAddress } from './tron-address.ts'

/** `deployments/` at the repository root; `SEEDPAY_DEPLOYMENTS_DIR` overrides it. */
export function deploymentsDir (): string {
  return process.env.SEEDPAY_DEPLOYMENTS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deployments')
}

const address = z.pipe(z.object({
  base58: z.string(),
  hex: z.string()
}), z.transform((a, ctx) => {
  try {
    const hex = toEvmAddress(a.hex)
    if (toEvmAddress(a.base58) !== hex) {
      ctx.issues.push({ code: 'custom', message: `base58 ${a.base58} and hex ${a.hex} are different addresses`, input: a })
      return z.NEVER
    }
    return { base58: toTronAddress(hex), hex }
  } catch (err) {
    ctx.issues.push({ code: 'custom', message: (err as Error).message, input: a })
    return z.NEVER
  }
}))

const count = z.int().check(z.nonnegative())
const uintString = z.pipe(z.union([count, z.string().check(z.regex(/^[0-9]+$/))]), z.transform(v => BigInt(v)))

export const DeploymentSchema = z.object({
  network: z.string().check(z.regex(/^[a-z0-9_-]+$/)),
  chainId: uintString,
  token: address,
  /** True when the migration deployed TestBTT (Nile, development); false for an existing token (BTT). */
  testToken: z._default(z.boolean(), false),
  escrow: address,
  withdrawalDelay: uintString,
  /** The block holding the escrow's creation: where event scans start. */
  escrowBlock: z.optional(count),
  deployedAt: z.iso.datetime(),
  txIds: z.record(z.string(), z.string().check(z.regex(/^(0x)?[0-9a-fA-F]{64}$/)))
})

export type Deployment = z.output<typeof DeploymentSchema>
export type DeploymentInput = z.input<typeof DeploymentSchema>

export class DeploymentError extends Error {
  constructor (readonly path: string, reason: string) {
    super(`deployment ${path}: ${reason}`)
    this.name = 'DeploymentError'
  }
}

export function deploymentPath (network: string, dir = deploymentsDir()): string {
  return join(dir, `${network}.json`)
}

export function parseDeployment (json: unknown, source = '<input>'): Deployment {
  const parsed = DeploymentSchema.safeParse(json)
  if (!parsed.success) throw new DeploymentError(source, z.prettifyError(parsed.error))
  return parsed.data
}

export function readDeployment (network: string, dir = deploymentsDir()): Deployment {
  const path = deploymentPath(network, dir)
  if (!existsSync(path)) {
    throw new DeploymentError(path, network === 'development'
      ? 'missing: run the demo (npm run demo) to deploy on a local chain'
      : `missing: run \`npx tronbox migrate --network ${network}\` first (docs/deploy-nile.md)`)
  }
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new DeploymentError(path, `not JSON: ${(err as Error).message}`)
  }
  const dep = parseDeployment(json, path)
  if (dep.network !== network) throw new DeploymentError(path, `names network ${dep.network}, expected ${network}`)
  return dep
}

/** The JSON form (bigints as decimal strings when they exceed 2^53, else numbers). */
export function serialiseDeployment (dep: Deployment): Record<string, unknown> {
  const num = (v: bigint): number | string => v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()
  return {
    network: dep.network,
    chainId: num(dep.chainId),
    token: dep.token,
    testToken: dep.testToken,
    escrow: dep.escrow,
    withdrawalDelay: num(dep.withdrawalDelay),
    ...(dep.escrowBlock === undefined ? {} : { escrowBlock: dep.escrowBlock }),
    deployedAt: dep.deployedAt,
    txIds: dep.txIds
  }
}

/** Validates and writes atomically (temp file + rename); returns the path. */
export function writeDeployment (dep: DeploymentInput | Deployment, dir = deploymentsDir()): string {
  const checked = parseDeployment(JSON.parse(JSON.stringify(dep, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)))
  const path = deploymentPath(checked.network, dir)
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(serialiseDeployment(checked), null, 2) + '\n')
  renameSync(tmp, path)
  return path
}

/** `{base58, hex}` for any accepted address form. */
export function addressPair (address: string): { base58: string, hex: string } {
  const hex = toEvmAddress(address)
  return { base58: toTronAddress(hex), hex }
}
