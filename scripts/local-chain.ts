/**
 * npx tsx scripts/local-chain.ts [port] — a local chain for trying the CLI by hand: anvil on 127.0.0.1 (default
 * port 8545, chain id = Nile) with TestBTT + BandwidthEscrow deployed by anvil's account #0, written to
 * deployments/development.json (what `seedpay --network local` reads). On a fresh anvil the addresses are
 * always the same (so a file already naming them is left as it is). Runs until Ctrl-C, then stops anvil (which forgets everything).
 */
import { JsonRpcProvider, Wallet } from 'ethers'
import { startAnvil, ANVIL_KEYS, deployLocal, writeDeployment, readDeployment, deploymentPath, type Deployment } from '../agent/chain/index.ts'

const port = Number(process.argv[2] ?? 8545)
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write(`error: port "${process.argv[2] ?? ''}" is not 1–65535\n`)
  process.exit(2)
}
const anvil = await startAnvil({ port })
const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true })
try {
  const dep = await deployLocal(new Wallet(ANVIL_KEYS[0], provider), { chainId: anvil.chainId })
  const path = sameAsOnDisk(dep) ? deploymentPath(dep.network) : writeDeployment(dep)
  process.stdout.write([
    `anvil          ${anvil.url} (chain id ${anvil.chainId})`,
    `TestBTT        ${dep.token.hex}`,
    `escrow         ${dep.escrow.hex} (withdrawal delay ${dep.withdrawalDelay} s)`,
    `deployment     ${path}`,
    'test keys      anvil\'s accounts #1–#9 (agent/chain/anvil.ts ANVIL_KEYS); fund one with `seedpay mint 100 --key-file <file>`',
    'Ctrl-C stops the chain.',
    ''
  ].join('\n'))
} catch (err) {
  await anvil.stop()
  throw err
} finally {
  provider.destroy()
}
const stop = (): void => { anvil.stop().then(() => process.exit(0), () => process.exit(1)) }
process.once('SIGINT', stop)
process.once('SIGTERM', stop)

/** The committed development.json already names these contracts (a fresh anvil always deploys to the same addresses). */
function sameAsOnDisk (dep: Deployment): boolean {
  try {
    const old = readDeployment(dep.network)
    return old.chainId === dep.chainId && old.escrow.hex === dep.escrow.hex && old.token.hex === dep.token.hex && old.withdrawalDelay === dep.withdrawalDelay
  } catch {
    return false
  }
}
