import Wire from 'bittorrent-protocol'
import { Transform } from 'node:stream'
import pino from 'pino'
import { seedpayExtension, type SeedpayExtension, type SeedpayExtensionInit } from '../../../agent/wire/extension.ts'
import type { HelloMessage } from '../../../agent/wire/messages.ts'
import { NILE_CHAIN_ID } from '../../../agent/pay/receipt.ts'

export const silent = pino({ level: 'silent' })
export const INFO_HASH = '01'.repeat(20)
/** The wire layer only checks a proof's shape (the session checks who signed it): any 64 bytes do here. */
export const DUMMY_PROOF = new Uint8Array(64).fill(0x5a)

export function helloFields (account: `0x${string}`, over: Partial<HelloMessage> = {}): Omit<HelloMessage, 't'> {
  return {
    chainId: NILE_CHAIN_ID,
    escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
    account,
    pricePerMiB: 1000n,
    credit: 4n << 20n,
    proof: DUMMY_PROOF,
    ...over
  }
}

export const PEER_A = '0a'.repeat(20)
export const PEER_B = '0b'.repeat(20)

export interface Side { wire: Wire, ext: SeedpayExtension, sent: Uint8Array[] }

/**
 * Two real bittorrent-protocol wires piped to each other in-process (the TCP variant is in test/e2e);
 * `sent` records the raw bytes each side wrote.
 */
export function wirePair (a: Partial<SeedpayExtensionInit> = {}, b: Partial<SeedpayExtensionInit> = {}): { a: Side, b: Side } {
  const make = (init: Partial<SeedpayExtensionInit>, initiator: boolean, account: `0x${string}`, peerId: string): Side => {
    const wire = new Wire()
    let ext: SeedpayExtension | null = null
    wire.use(seedpayExtension({ logger: silent }, { initiator, localPeerId: () => peerId, hello: () => helloFields(account), ...init }, e => { ext = e }))
    return { wire, ext: ext!, sent: [] }
  }
  const sa = make(a, true, '0x' + 'aa'.repeat(20) as `0x${string}`, PEER_A)
  const sb = make(b, false, '0x' + 'bb'.repeat(20) as `0x${string}`, PEER_B)
  const tap = (side: Side): Transform => new Transform({ transform (chunk: Buffer, _enc, cb) { side.sent.push(Uint8Array.from(chunk)); cb(null, chunk) } })
  sa.wire.pipe(tap(sa)).pipe(sb.wire as unknown as NodeJS.WritableStream)
  sb.wire.pipe(tap(sb)).pipe(sa.wire as unknown as NodeJS.WritableStream)
  sa.wire.handshake(INFO_HASH, PEER_A)
  sb.wire.handshake(INFO_HASH, PEER_B)
  return { a: sa, b: sb }
}

export async function until (cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}
