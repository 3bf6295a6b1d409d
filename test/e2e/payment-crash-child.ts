/**
 * Child process for payment.crash.test.ts: one agent with a persistent ledger, either paying (leecher) or
 * being paid (seeder), until the parent kills it with SIGKILL. Prints `ready <port>` once exchanging.
 * argv: role (payer | payee), ledger dir, seeder port (payer only)
 */
import { ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { NILE_CHAIN_ID, MIB } from '../../agent/pay/index.ts'
import { makeAgent } from './payment-agents.ts'
import { makeContent, startSeeder, leech } from './payment-peers.ts'

export const CRASH_DOMAIN = { chainId: NILE_CHAIN_ID, escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }
export const CRASH_KEYS = { childPayer: ANVIL_KEYS[2], parentPayee: ANVIL_KEYS[1], childPayee: ANVIL_KEYS[3], parentPayer: ANVIL_KEYS[4] }
export const crashContent = () => makeContent(16 << 20, 64 << 10, 7)
export const CRASH_CREDIT = MIB / 4n

async function main (): Promise<void> {
  const [role, dir, port] = process.argv.slice(2)
  const content = crashContent()
  if (role === 'payer') {
    const { agent } = makeAgent(CRASH_DOMAIN, CRASH_KEYS.childPayer, { dir, credit: CRASH_CREDIT })
    agent.once('peer:ready', () => { process.stdout.write('ready\n') })
    await leech(agent, Number(port), content, { stallMs: 30_000 }).done
  } else {
    const { agent } = makeAgent(CRASH_DOMAIN, CRASH_KEYS.childPayee, { dir, credit: CRASH_CREDIT })
    const seeder = await startSeeder(agent, content)
    process.stdout.write(`ready ${seeder.port}\n`)
  }
}

if (process.argv[1]?.endsWith('payment-crash-child.ts') === true) {
  main().catch(err => { process.stderr.write(String(err) + '\n'); process.exit(1) })
}
