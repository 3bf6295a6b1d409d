/**
 * Fuzzes the seedpay extension through bittorrent-protocol's real parser: ≥ 10,000 random and mutated
 * messages (fixed seed), each to a fresh wire, among them hellos broken field by field (proof, lane, version).
 * Nothing may throw out of the handler, a bad message closes that wire only with a logged reason, a good one
 * keeps it open, and a bystander connection keeps working throughout.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import Wire from 'bittorrent-protocol'
import pino from 'pino'
import { Writable } from 'node:stream'
import { seedpayExtension, type SeedpayExtension } from '../../../agent/wire/extension.ts'
import { decodeMessage, encodeMessage, type SeedpayMessage } from '../../../agent/wire/messages.ts'
import { encode, decodeStrict, type BDict, type BValue } from '../../../agent/wire/bencode.ts'
import { helloFields, wirePair, until, INFO_HASH } from './pair.ts'

const SEED = 0x5eed
const RUNS = 12_000
/** Our extension's local BEP 10 id: the first `use` gets 1. */
const OUR_EXT_ID = 1

function frame (extId: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(6)
  head.writeUInt32BE(payload.length + 2, 0)
  head[4] = 20
  head[5] = extId
  return Buffer.concat([head, payload])
}

const BT_HANDSHAKE = (() => {
  const reserved = Buffer.alloc(8); reserved[5] = 0x10
  return Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), reserved, Buffer.from(INFO_HASH, 'hex'), Buffer.alloc(20, 9)])
})()
const EXT_HANDSHAKE = frame(0, encode(new Map([['m', new Map([['seedpay', 3]])]])))
const PEER_HELLO = frame(OUR_EXT_ID, encodeMessage({ t: 'hello', ...helloFields('0x' + 'cc'.repeat(20) as `0x${string}`) }))

interface Probe { wire: Wire, ext: SeedpayExtension, errors: string[], receipts: number, logs: Array<{ msg: string, code?: string | number }> }

const tick = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

async function freshWire (ready: boolean): Promise<Probe> {
  const wire = new Wire()
  let ext: SeedpayExtension | null = null
  const logs: Probe['logs'] = []
  const logger = pino({ level: 'warn' }, new Writable({ write (chunk: Buffer, _enc, cb) { logs.push(JSON.parse(chunk.toString()) as Probe['logs'][number]); cb() } }))
  wire.use(seedpayExtension({ logger }, {
    initiator: false, localPeerId: () => '0d'.repeat(20), hello: () => helloFields('0x' + 'dd'.repeat(20) as `0x${string}`)
  }, e => { ext = e }))
  wire.on('data', () => {})
  wire.handshake(INFO_HASH, '0d'.repeat(20))
  const probe: Probe = { wire, ext: ext!, errors: [], receipts: 0, logs }
  probe.ext.on('peer:protocol-error', ({ code }) => probe.errors.push(code))
  probe.ext.on('receipt:received', () => { probe.receipts++ })
  wire.write(Buffer.concat([BT_HANDSHAKE, EXT_HANDSHAKE, ...(ready ? [PEER_HELLO] : [])]))
  await tick()
  return probe
}

const u = (max: bigint) => fc.bigInt(0n, max)
const addr = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(b => ('0x' + Buffer.from(b).toString('hex')) as `0x${string}`)
const sig = fc.uint8Array({ minLength: 64, maxLength: 64 })
const receipt = fc.record({ bytes: u((1n << 64n) - 1n), amount: u((1n << 128n) - 1n), sig })
const valid: fc.Arbitrary<SeedpayMessage> = fc.oneof(
  receipt.map(r => ({ t: 'rcpt' as const, ...r })),
  u((1n << 64n) - 1n).map(credit => ({ t: 'credit' as const, credit })),
  fc.record({
    chainId: u((1n << 256n) - 1n), escrow: addr, account: addr, pricePerMiB: u((1n << 128n) - 1n), credit: u((1n << 64n) - 1n),
    proof: sig, lane: fc.option(fc.bigInt(1n, (1n << 128n) - 1n), { nil: undefined }), last: fc.option(receipt, { nil: undefined })
  }).map(({ last, lane, ...rest }) => ({ t: 'hello' as const, ...rest, ...(lane !== undefined ? { lane } : {}), ...(last !== undefined ? { last } : {}) })),
  fc.record({ code: fc.integer({ min: 0, max: 999 }), msg: fc.string({ maxLength: 60 }) }).map(e => ({ t: 'err' as const, ...e }))
)
type Mutation = { kind: 'flip' | 'set' | 'insert' | 'delete' | 'truncate', at: number, byte: number }
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate'),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 })
})
function mutate (buf: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Buffer.from(buf)
  for (const m of ms) {
    const i = b.length === 0 ? 0 : m.at % b.length
    if (m.kind === 'flip' && b.length > 0) b[i] = b[i]! ^ (1 << (m.byte % 8))
    if (m.kind === 'set' && b.length > 0) b[i] = m.byte
    if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([m.byte]), b.subarray(i)])
    if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)])
    if (m.kind === 'truncate') b = b.subarray(0, i)
  }
  return b
}
/** A valid hello with one field made wrong, re-encoded canonically: only field-level checks can catch it. */
const badHelloField: fc.Arbitrary<(d: Map<string, BValue>) => void> = fc.oneof(
  fc.constant((d: Map<string, BValue>) => { d.delete('proof') }),
  fc.integer({ min: 0, max: 200 }).filter(n => n !== 64).map(n => (d: Map<string, BValue>) => { d.set('proof', new Uint8Array(n)) }),
  fc.integer().map(n => (d: Map<string, BValue>) => { d.set('proof', n) }),
  fc.uint8Array({ minLength: 1, maxLength: 20 }).map(b => (d: Map<string, BValue>) => { d.set('lane', Uint8Array.from([0, ...b])) }),
  fc.constant((d: Map<string, BValue>) => { d.set('lane', new Uint8Array(0)) }),
  fc.uint8Array({ minLength: 17, maxLength: 40 }).map(b => (d: Map<string, BValue>) => { b[0] = 1; d.set('lane', b) }),
  fc.integer({ min: 0, max: 9 }).filter(v => v !== 2).map(v => (d: Map<string, BValue>) => { d.set('v', v) }),
  fc.constant((d: Map<string, BValue>) => { d.set('prooff', new Uint8Array(64)) })
)
const brokenHello = fc.tuple(valid.filter(m => m.t === 'hello'), badHelloField).map(([m, edit]) => {
  const d = decodeStrict(encodeMessage(m)) as BDict
  edit(d)
  return encode(d)
})
const bencodeish = fc.stringMatching(/^[dile0-9:a-z-]{0,80}$/).map(s => Buffer.from(s, 'latin1'))
const input = fc.record({
  ready: fc.boolean(),
  payload: fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 1100 }) },
    { weight: 2, arbitrary: bencodeish },
    { weight: 5, arbitrary: fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([m, ms]) => mutate(encodeMessage(m), ms)) },
    { weight: 2, arbitrary: brokenHello },
    { weight: 2, arbitrary: valid.map(encodeMessage) }
  )
})

function expectedOutcome (payload: Uint8Array, ready: boolean): 'open' | 'closed' {
  let m: SeedpayMessage
  try { m = decodeMessage(payload) } catch { return 'closed' }
  if (m.t === 'err') return 'closed'
  if (m.t === 'hello') return ready ? 'closed' : 'open'
  return ready ? 'open' : 'closed'
}

describe('SeedpayExtension fuzzing (fixed seed)', function () {
  this.timeout(120_000)

  it(`survives ${RUNS} random and mutated messages, closing exactly the offending wires`, async () => {
    const bystander = wirePair()
    await until(() => bystander.a.ext.ready && bystander.b.ext.ready)
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown): void => { uncaught.push(err) }
    process.on('uncaughtException', onUncaught)
    const sample: Probe[] = []
    let closed = 0
    let opened = 0
    try {
      await fc.assert(fc.asyncProperty(input, async ({ ready, payload }) => {
        const probe = await freshWire(ready)
        expect(probe.ext.state).to.equal(ready ? 'ready' : 'awaiting-hello')
        expect(() => probe.wire.write(frame(OUR_EXT_ID, payload))).not.to.throw()
        await tick()
        const outcome = expectedOutcome(payload, ready)
        const isClosed = probe.ext.state === 'closing' || probe.ext.state === 'closed'
        expect(isClosed ? 'closed' : 'open').to.equal(outcome)
        if (isClosed) closed++
        else opened++
        let decoded: SeedpayMessage | null = null
        try { decoded = decodeMessage(payload) } catch { /* a violation */ }
        if (decoded === null) expect(probe.errors).to.have.length(1)
        // a closed peer is closed for a reason someone can read: one warning naming it
        if (isClosed) {
          expect(probe.logs.map(l => l.msg)).to.deep.equal([decoded?.t === 'err' ? 'seedpay peer reported an error' : 'seedpay protocol violation; closing peer'])
          if (decoded === null) expect(probe.logs[0]!.code).to.equal(probe.errors[0])
        } else {
          expect(probe.logs).to.deep.equal([])
        }
        if (isClosed && sample.length < 50) sample.push(probe)
        else probe.wire.destroy()
      }), { seed: SEED, numRuns: RUNS })
      // closing wires really get destroyed once the err has had time to leave
      await until(() => sample.every(p => p.wire.destroyed), 3000)
      // the bystander is untouched and still exchanges receipts
      let got = 0
      bystander.b.ext.on('receipt:received', () => { got++ })
      bystander.a.ext.sendReceipt({ bytes: 1n, amount: 1n, sig: new Uint8Array(64) })
      await until(() => got === 1)
      expect(bystander.a.wire.destroyed || bystander.b.wire.destroyed).to.equal(false)
    } finally {
      process.off('uncaughtException', onUncaught)
    }
    expect(uncaught).to.deep.equal([])
    expect(closed).to.be.greaterThan(RUNS / 2)
    expect(opened).to.be.greaterThan(RUNS / 20)
  })
})
