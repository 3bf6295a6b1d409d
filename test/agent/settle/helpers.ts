/** Payee ledgers in temp dirs holding receipts signed by anvil accounts, for the settle and audit tests. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getBytes, Wallet } from 'ethers'
import pino from 'pino'
import { Ledger, type ChannelKey } from '../../../agent/ledger/index.ts'
import type { SettlementScheduler, SettlementEvents } from '../../../agent/settle/index.ts'
import { amountFor, HotKeySigner, MIB, receiptDigest, toAddress, type Address, type EscrowDomain } from '../../../agent/pay/index.ts'

export const PRICE = 10n ** 16n // 0.01 BTT per MiB
export const logger = pino({ level: process.env['SETTLE_LOG'] ?? 'silent' })

export interface PayeeBooks {
  ledger: Ledger
  payee: Address
  dir: string
  /** Signs with `signerKey` (the payer's own by default) and records the receipt for `mib` MiB as the pair's newest. */
  receive: (payerKey: string, mib: bigint, signerKey?: string) => ChannelKey
  keyOf: (payerKey: string) => ChannelKey
  close: () => void
}

export function payeeBooks (domain: EscrowDomain, payeeKey: string): PayeeBooks {
  const dir = mkdtempSync(join(tmpdir(), 'seedpay-settle-'))
  const ledger = new Ledger({}, { path: join(dir, 'ledger.db'), synchronous: 'NORMAL' })
  const payee = toAddress(new Wallet(payeeKey).address)
  const keyOf = (payerKey: string): ChannelKey =>
    ({ chainId: domain.chainId, escrow: toAddress(domain.escrow), payer: toAddress(new Wallet(payerKey).address), payee })
  return {
    ledger, payee, dir, keyOf,
    receive: (payerKey, mib, signerKey = payerKey) => {
      const key = keyOf(payerKey)
      const bytes = mib * MIB
      const amount = amountFor(bytes, PRICE)
      const digest = receiptDigest(domain, { payer: key.payer, payee, cumulativeBytes: bytes, cumulativeAmount: amount })
      ledger.record(key, 'payee', { bytes, amount, sig: new HotKeySigner(signerKey).signDigest(getBytes(digest)) })
      return key
    },
    close: () => { ledger.close(); rmSync(dir, { recursive: true, force: true }) }
  }
}

/** Resolves with the first event `name` that `accept` takes, or rejects after `ms`. */
export async function nextEvent<K extends keyof SettlementEvents> (
  scheduler: SettlementScheduler, name: K, accept: (e: SettlementEvents[K]) => boolean = () => true, ms = 20_000
): Promise<SettlementEvents[K]> {
  return await new Promise((resolve, reject) => {
    const fn = (e: SettlementEvents[K]): void => {
      if (!accept(e)) return
      clearTimeout(t)
      scheduler.off(name, fn)
      resolve(e)
    }
    const t = setTimeout(() => { scheduler.off(name, fn); reject(new Error(`timeout waiting for ${name}`)) }, ms)
    scheduler.on(name, fn)
  })
}
