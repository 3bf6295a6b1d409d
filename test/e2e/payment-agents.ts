/** Builds PaymentAgents with real ledgers in a temp dir and a log capture, for the payment e2e tests. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { Wallet } from 'ethers'
import { PaymentAgent, type PaymentAgentInit, type PaymentAgentComponents } from '../../agent/payment/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'
import type { ReceiptStore } from '../../agent/ledger/writer-thread.ts'
import { HotKeySigner, toAddress, type Address, type EscrowDomain, type ReceiptSigner } from '../../agent/pay/index.ts'

export interface TestAgent { agent: PaymentAgent, ledger: Ledger, account: Address, logs: string[], dir: string }

export function makeAgent (
  domain: EscrowDomain,
  accountKey: string,
  init: Partial<PaymentAgentInit> & { signer?: ReceiptSigner, signers?: Record<string, Address[]>, directory?: PaymentAgentComponents['signers'], dir?: string, store?: (ledger: Ledger) => ReceiptStore } = {}
): TestAgent {
  const dir = init.dir ?? mkdtempSync(join(tmpdir(), 'seedpay-e2e-'))
  const logs: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { logs.push(chunk.toString()); cb() } })
  const logger = pino({ level: 'warn' }, sink)
  const ledger = new Ledger({}, { path: join(dir, 'ledger.db') })
  const account = toAddress(new Wallet(accountKey).address)
  const signers = init.signers ?? {}
  const agent = new PaymentAgent({
    logger, ledger, signer: init.signer ?? new HotKeySigner(accountKey),
    signers: init.directory ?? { signersOf: p => signers[p] ?? [] },
    ...(init.store !== undefined ? { store: init.store(ledger) } : {})
  }, {
    domain, account, pricePerMiB: 1_000_000_000_000_000n, maxPricePerMiB: 1_000_000_000_000_000n, credit: 1n << 20n, ...init
  })
  return { agent, ledger, account, logs, dir }
}
