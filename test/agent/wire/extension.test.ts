import { expect } from 'chai'
import { wirePair, until, DUMMY_PROOF, INFO_HASH, PEER_A, PEER_B } from './pair.ts'
import { encodeMessage, BEP10_FRAMING_BYTES } from '../../../agent/wire/messages.ts'
import type { SignedReceipt } from '../../../agent/pay/receipt.ts'
import type { HelloIds } from '../../../agent/wire/extension.ts'

const sig = new Uint8Array(64).fill(7)

describe('SeedpayExtension', () => {
  it('exchanges hellos: the initiator first, the responder answers with last for it', async () => {
    const last: SignedReceipt = { bytes: 5n, amount: 9n, sig }
    const seen: Array<string | null> = []
    const { a, b } = wirePair({}, { hello: peer => { seen.push(peer?.account ?? null); return { ...baseHello('bb'), last } } })
    await until(() => a.ext.ready && b.ext.ready)
    expect(seen).to.deep.equal(['0x' + 'aa'.repeat(20)])
    expect(a.ext.peerHello?.last).to.deep.equal(last)
    expect(b.ext.peerHello?.account).to.equal('0x' + 'aa'.repeat(20))
  })

  it('hands each side both peer ids and the info hash to sign its proof over, and the same ids with peer:hello', async () => {
    const given: Record<string, HelloIds> = {}
    const heard: Record<string, HelloIds> = {}
    const { a, b } = wirePair(
      { hello: (_peer, ids) => { given.a = ids; return baseHello('aa') } },
      { hello: (_peer, ids) => { given.b = ids; return baseHello('bb') } })
    a.ext.on('peer:hello', ({ ids }) => { heard.a = ids })
    b.ext.on('peer:hello', ({ ids }) => { heard.b = ids })
    await until(() => a.ext.ready && b.ext.ready)
    expect(given.a).to.deep.equal({ local: PEER_A, remote: PEER_B, infoHash: INFO_HASH })
    expect(given.b).to.deep.equal({ local: PEER_B, remote: PEER_A, infoHash: INFO_HASH })
    expect(heard).to.deep.equal(given)
    expect(a.ext.ids).to.deep.equal(given.a)
  })

  it('refuses with internal, instead of saying hello unsigned, if our peer id is unknown', async () => {
    const { a, b } = wirePair({ localPeerId: () => null })
    const errors: number[] = []
    b.ext.on('peer:error-received', ({ code }) => errors.push(code))
    await until(() => a.wire.destroyed)
    expect(errors).to.deep.equal([99])
  })

  it('delivers receipts in order as receipt:received', async () => {
    const { a, b } = wirePair()
    const got: bigint[] = []
    b.ext.on('receipt:received', ({ receipt }) => got.push(receipt.bytes))
    await until(() => a.ext.ready && b.ext.ready)
    for (let i = 1n; i <= 5n; i++) a.ext.sendReceipt({ bytes: i * 100n, amount: i, sig })
    await until(() => got.length === 5)
    expect(got).to.deep.equal([100n, 200n, 300n, 400n, 500n])
  })

  it('puts a receipt on the wire in at most 128 bytes including BEP 10 framing', async () => {
    const { a, b } = wirePair()
    await until(() => a.ext.ready && b.ext.ready)
    let received = false
    b.ext.on('receipt:received', () => { received = true })
    a.sent.length = 0
    a.ext.sendReceipt({ bytes: (1n << 64n) - 1n, amount: (1n << 128n) - 1n, sig })
    await until(() => received)
    const frame = Buffer.concat(a.sent)
    expect(frame.length).to.equal(encodeMessage({ t: 'rcpt', bytes: (1n << 64n) - 1n, amount: (1n << 128n) - 1n, sig }).length + BEP10_FRAMING_BYTES)
    expect(frame.length).to.be.at.most(128)
    expect(frame.readUInt32BE(0)).to.equal(frame.length - 4)
    expect(frame[4]).to.equal(20)
  })

  it('closes a peer that sends a receipt before hello, and reports peer:protocol-error', async () => {
    const { a, b } = wirePair({ initiator: false })
    const errors: string[] = []
    b.ext.on('peer:protocol-error', ({ code }) => errors.push(code))
    await until(() => b.ext.state === 'awaiting-hello' || b.ext.state === 'closing' || b.ext.state === 'closed')
    a.wire.extended('seedpay', encodeMessage({ t: 'rcpt', bytes: 1n, amount: 1n, sig }))
    await until(() => b.wire.destroyed)
    expect(errors).to.include('unexpected')
  })

  it('delivers a credit once ready as credit:received, and closes a peer that sends one before hello', async () => {
    const { a, b } = wirePair()
    const got: bigint[] = []
    b.ext.on('credit:received', ({ credit }) => got.push(credit))
    await until(() => a.ext.ready && b.ext.ready)
    a.ext.sendCredit(8n * 1024n * 1024n)
    await until(() => got.length === 1)
    expect(got).to.deep.equal([8n * 1024n * 1024n])

    const early = wirePair({ initiator: false })
    const errors: string[] = []
    early.b.ext.on('peer:protocol-error', ({ code }) => errors.push(code))
    await until(() => early.b.ext.state === 'awaiting-hello' || early.b.ext.state === 'closing' || early.b.ext.state === 'closed')
    early.a.wire.extended('seedpay', encodeMessage({ t: 'credit', credit: 1n }))
    await until(() => early.b.wire.destroyed)
    expect(errors).to.include('unexpected')
  })

  it('closes a peer that says nothing within the hello timeout', async () => {
    const { b } = wirePair({ initiator: false }, { helloTimeoutMs: 50 })
    const errors: string[] = []
    b.ext.on('peer:protocol-error', ({ code }) => errors.push(code))
    await until(() => b.wire.destroyed, 3000)
    expect(errors).to.deep.equal(['timeout'])
  })

  it('sends err and closes on refuse; the peer reports peer:error-received', async () => {
    const { a, b } = wirePair()
    await until(() => a.ext.ready && b.ext.ready)
    const got: number[] = []
    a.ext.on('peer:error-received', ({ code }) => got.push(code))
    b.ext.refuse('stale', 'receipt does not advance')
    await until(() => got.length === 1 && b.wire.destroyed)
    expect(got).to.deep.equal([22])
  })
})

function baseHello (byte: string) {
  return {
    chainId: 3448148188n,
    escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3' as const,
    account: ('0x' + byte.repeat(20)) as `0x${string}`,
    pricePerMiB: 1000n,
    credit: 4n << 20n,
    proof: DUMMY_PROOF
  }
}
