/**
 * Payment-core benchmark (`npm run bench:pay`): receipt signatures/s, full verifications/s (native
 * secp256k1 vs ethers-only verifyTypedData in the same run), bytes per receipt on the wire, durable ledger
 * receipt writes/s. One core, one process. The last stdout line is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { Wallet, verifyTypedData, hexlify, Signature } from 'ethers'
import {
  HotKeySigner, ReceiptVerifier, PayeeChannel, CreditPolicy, amountFor, addressToBytes, MIB,
  receiptDomain, receiptMessage, RECEIPT_TYPES, NILE_CHAIN_ID, toAddress, type SignedReceipt
} from '../../agent/pay/index.ts'
import { encodeMessage, BEP10_FRAMING_BYTES } from '../../agent/wire/index.ts'
import { Ledger } from '../../agent/ledger/index.ts'

/** anvil's public test keys. */
const KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
]
const DOMAIN = { chainId: NILE_CHAIN_ID, escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }
const PRICE = 1_000_000_000_000_000n
/** A receipt per 256 KiB piece. */
const STEP = 256n * 1024n
const N_SIGN = 5_000
const N_VERIFY = 20_000
const N_ETHERS = 1_000
const N_LEDGER = 5_000

const payer = toAddress(new Wallet(KEYS[0]!).address)
const payee = toAddress(new Wallet(KEYS[1]!).address)
const signer = new HotKeySigner(KEYS[0]!)
const verifier = new ReceiptVerifier({}, { domain: DOMAIN })

/** Calls per second of `fn(0..n-1)`; stateful benchmarks (monotonic receipts) skip the warm-up. */
function rate (n: number, fn: (i: number) => void, warm = true): number {
  if (warm) for (let i = 0; i < Math.min(200, n); i++) fn(i)
  const t = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(i)
  return Math.round(n / (Number(process.hrtime.bigint() - t) / 1e9))
}

function receipts (n: number, key = signer): SignedReceipt[] {
  const p = addressToBytes(key.address); const q = addressToBytes(payee)
  const out: SignedReceipt[] = []
  for (let i = 1; i <= n; i++) {
    const bytes = BigInt(i) * STEP
    const amount = amountFor(bytes, PRICE)
    out.push({ bytes, amount, sig: key.signDigest(verifier.hasher.digest(p, q, bytes, amount)) })
  }
  return out
}

const log = (s: string): void => { process.stdout.write(s + '\n') }
log(`seedpay bench:pay — node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, one core`)

// signatures: digest + ethers SigningKey (RFC 6979), EIP-2098 compact
const pBytes = addressToBytes(payer); const qBytes = addressToBytes(payee)
const signsPerSec = rate(N_SIGN, i => {
  const bytes = BigInt(i + 1) * STEP
  signer.signDigest(verifier.hasher.digest(pBytes, qBytes, bytes, amountFor(bytes, PRICE)))
})
log(`sign (digest + ethers SigningKey):            ${signsPerSec} /s`)

const rs = receipts(N_VERIFY)
// full verification as a payee does it: range, monotonic, price, digest, native recover, signer check, commit
const channel = new PayeeChannel({ verifier, policy: new CreditPolicy() }, { payer, payee, pricePerMiB: PRICE })
const fullPerSec = rate(N_VERIFY, i => {
  const r = rs[i]!
  channel.check(r); channel.commit(r)
}, false)
log(`verify, full payee check (native secp256k1): ${fullPerSec} /s`)
const recoverPerSec = rate(N_VERIFY, i => { const r = rs[i]!; verifier.verify(payer, payee, r.bytes, r.amount, r.sig) })
log(`verify, signature only (native):             ${recoverPerSec} /s`)
// many signers: no recovered-key cache hits
const manySigners = Array.from({ length: 16 }, (_, k) => new HotKeySigner('0x' + (BigInt(k + 1) * 0x1234567n).toString(16).padStart(64, '0')))
const mixed = manySigners.flatMap(s => receipts(N_VERIFY / 16, s).map(r => ({ ...r, payer: s.address })))
const uncachedPerSec = rate(mixed.length, i => { const r = mixed[i]!; verifier.verify(r.payer, payee, r.bytes, r.amount, r.sig) })
log(`verify, 16 payers interleaved (native):      ${uncachedPerSec} /s`)
const domain = receiptDomain(DOMAIN)
const types = { Receipt: [...RECEIPT_TYPES.Receipt] }
const full = rs.slice(0, N_ETHERS).map(r => ({ r, sig: Signature.from(hexlify(r.sig)).serialized }))
const ethersPerSec = rate(N_ETHERS, i => {
  const { r, sig } = full[i]!
  const got = verifyTypedData(domain, types, receiptMessage({ payer, payee, cumulativeBytes: r.bytes, cumulativeAmount: r.amount }), sig)
  if (got.toLowerCase() !== payer) throw new Error('ethers verification mismatch')
})
log(`verify, ethers verifyTypedData only:         ${ethersPerSec} /s`)

// bytes on the wire
const typical = rs[4095]! // 1 GiB paid at 0.001 BTT/MiB
const typicalBytes = encodeMessage({ t: 'rcpt', ...typical }).length + BEP10_FRAMING_BYTES
const maxBytes = encodeMessage({ t: 'rcpt', bytes: (1n << 64n) - 1n, amount: (1n << 128n) - 1n, sig: typical.sig }).length + BEP10_FRAMING_BYTES
log(`receipt on the wire (with BEP 10 framing):    ${typicalBytes} B typical (1 GiB), ${maxBytes} B max`)

// durable ledger writes
function ledgerRate (synchronous: 'FULL' | 'NORMAL'): number {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ledger-'))
  const ledger = new Ledger({}, { path: join(dir, 'ledger.db'), synchronous })
  const key = { chainId: DOMAIN.chainId, escrow: toAddress(DOMAIN.escrow), payer, payee }
  ledger.open(key, 'payee')
  const r = rate(N_LEDGER, i => { const x = rs[i]!; ledger.record(key, 'payee', x, PRICE) }, false)
  ledger.close()
  rmSync(dir, { recursive: true, force: true })
  return r
}
const ledgerFull = ledgerRate('FULL')
const ledgerNormal = ledgerRate('NORMAL')
log(`ledger receipt writes, synchronous=FULL:      ${ledgerFull} /s (durable; the agent's setting)`)
log(`ledger receipt writes, synchronous=NORMAL:    ${ledgerNormal} /s (survives kill -9, not power loss)`)
log(`1 receipt per ${MIB / 4n / 1024n} KiB piece: one core verifies ${Math.round(fullPerSec * 0.25)} MiB/s of paid transfer`)

log(JSON.stringify({
  signsPerSec,
  verifyFullPerSec: fullPerSec,
  verifyNativePerSec: recoverPerSec,
  verifyNative16PayersPerSec: uncachedPerSec,
  verifyEthersPerSec: ethersPerSec,
  nativeSpeedup: Math.round(fullPerSec / ethersPerSec * 10) / 10,
  receiptWireBytes: typicalBytes,
  receiptWireBytesMax: maxBytes,
  ledgerDurableWritesPerSec: ledgerFull,
  ledgerNormalWritesPerSec: ledgerNormal,
  targets: { verifyFullPerSec: 10_000, receiptWireBytesMax: 128, ledgerDurableWritesPerSec: 2_000 },
  met: fullPerSec >= 10_000 && maxBytes <= 128 && ledgerFull >= 2_000
}))
