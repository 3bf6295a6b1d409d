/**
 * The example exchange in docs/protocol.md, generated from the code (fixed keys, fixed values).
 * protocol-doc.test.ts fails if the document and the code drift apart.
 */
import { Wallet } from 'ethers'
import { encodeMessage, type SeedpayMessage } from '../../../agent/wire/messages.ts'
import { HotKeySigner, ReceiptHasher, addressToBytes, amountFor, signHelloProof, toAddress, NILE_CHAIN_ID, MIB } from '../../../agent/pay/index.ts'

export const EXAMPLE_PAYER_KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'
export const EXAMPLE_PAYEE_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
export const EXAMPLE_ESCROW = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
/** The extension id each side announced in its BEP 10 handshake `m: {seedpay: id}`. */
export const EXAMPLE_EXT_ID = 3
/** BEP 3 handshake fields: the payer's and payee's peer ids (Azureus style, our `-SP0100-` prefix) and the torrent. */
export const EXAMPLE_PAYER_PEER_ID = Buffer.from('-SP0100-payer0000000').toString('hex')
export const EXAMPLE_PAYEE_PEER_ID = Buffer.from('-SP0100-payee0000000').toString('hex')
export const EXAMPLE_INFO_HASH = 'd2474e86c95b19b8bcfdb92bc12c9d44667cfa36'
const PRICE = 1_000_000_000_000_000n // 0.001 BTT per MiB

export interface ExampleFrame { from: string, note: string, message: SeedpayMessage, hex: string }

function frame (payload: Uint8Array): string {
  const head = Buffer.alloc(6)
  head.writeUInt32BE(payload.length + 2, 0)
  head[4] = 20
  head[5] = EXAMPLE_EXT_ID
  return Buffer.concat([head, payload]).toString('hex')
}

export function protocolExample (): ExampleFrame[] {
  const payer = toAddress(new Wallet(EXAMPLE_PAYER_KEY).address)
  const payee = toAddress(new Wallet(EXAMPLE_PAYEE_KEY).address)
  const signer = new HotKeySigner(EXAMPLE_PAYER_KEY)
  const hasher = new ReceiptHasher({ chainId: NILE_CHAIN_ID, escrow: EXAMPLE_ESCROW })
  const sign = (bytes: bigint) => {
    const amount = amountFor(bytes, PRICE)
    return { bytes, amount, sig: signer.signDigest(hasher.digest(addressToBytes(payer), addressToBytes(payee), bytes, amount)) }
  }
  const last = sign(8n * MIB)
  const domain = { chainId: NILE_CHAIN_ID, escrow: EXAMPLE_ESCROW }
  const payerProof = signHelloProof(signer, domain, { account: payer, sender: EXAMPLE_PAYER_PEER_ID, receiver: EXAMPLE_PAYEE_PEER_ID, infoHash: EXAMPLE_INFO_HASH })
  const payeeProof = signHelloProof(new HotKeySigner(EXAMPLE_PAYEE_KEY), domain, { account: payee, sender: EXAMPLE_PAYEE_PEER_ID, receiver: EXAMPLE_PAYER_PEER_ID, infoHash: EXAMPLE_INFO_HASH })
  const messages: Array<Omit<ExampleFrame, 'hex'>> = [
    { from: 'payer (initiator)', note: 'hello, no `last` (it does not know the payee yet)', message: { t: 'hello', chainId: NILE_CHAIN_ID, escrow: EXAMPLE_ESCROW, account: payer, pricePerMiB: PRICE, credit: 4n * MIB, proof: payerProof } },
    { from: 'payee (responder)', note: 'hello with `last`: the newest receipt it holds from this payer (8 MiB)', message: { t: 'hello', chainId: NILE_CHAIN_ID, escrow: EXAMPLE_ESCROW, account: payee, pricePerMiB: PRICE, credit: 4n * MIB, proof: payeeProof, last } },
    { from: 'payer', note: 'rcpt for 8 MiB + one 256 KiB piece', message: { t: 'rcpt', ...sign(8n * MIB + 256n * 1024n) } },
    { from: 'payee', note: 'credit: once the payer has paid for 4 MiB in this session, 4 + 4 = 8 MiB', message: { t: 'credit', credit: 8n * MIB } },
    { from: 'payee', note: 'err 22 (stale) had the payer sent a lower receipt; then it closes', message: { t: 'err', code: 22, msg: 'stale receipt' } }
  ]
  return messages.map(m => ({ ...m, hex: frame(encodeMessage(m.message)) }))
}
