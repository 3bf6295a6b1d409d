import { expect } from 'chai'
import { selectNetwork } from '../../../agent/payment/select-network.ts'
import type { NetworkOffer } from '../../../agent/wire/offers.ts'
import type { HelloMessage } from '../../../agent/wire/messages.ts'
import { helloFields } from '../wire/pair.ts'

const E1 = '0x5fbdb2315678afecb367f032d93f642f64180aa3' as const
const E2 = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512' as const
const LOCAL: NetworkOffer = { chainId: 3448148188n, escrow: E1 }
const BTTC: NetworkOffer = { chainId: 199n, escrow: E2 }
const OTHER_ESCROW: NetworkOffer = { chainId: 3448148188n, escrow: E2 }

function hello (o: NetworkOffer): HelloMessage {
  return { t: 'hello', ...helloFields('0x' + 'aa'.repeat(20) as `0x${string}`, { chainId: o.chainId, escrow: o.escrow }) }
}

describe('selectNetwork', () => {
  it('initiator: the first of OUR networks the peer offers, whatever the peer\'s order', () => {
    expect(selectNetwork([LOCAL, BTTC], { offers: [BTTC, LOCAL], hello: null })).to.deep.equal({ index: 0, refusal: null })
    expect(selectNetwork([BTTC, LOCAL], { offers: [LOCAL, BTTC], hello: null })).to.deep.equal({ index: 0, refusal: null })
    expect(selectNetwork([LOCAL, BTTC], { offers: [BTTC], hello: null })).to.deep.equal({ index: 1, refusal: null })
  })

  it('initiator: a peer without offers (an older v3 peer) gets our primary', () => {
    expect(selectNetwork([BTTC, LOCAL], { offers: null, hello: null })).to.deep.equal({ index: 0, refusal: null })
  })

  it('initiator: no common network is refused at once, err 10 (chain) or 11 (same chain, other escrow), naming the peer\'s', () => {
    const chain = selectNetwork([LOCAL], { offers: [BTTC], hello: null })
    expect(chain.refusal?.code).to.equal('chain')
    expect(chain.refusal?.msg).to.equal('no common network: the peer accepts receipts on chain 199 escrow 0xe7f1…0512; we accept chain 3448148188 escrow 0x5fbd…0aa3')
    expect(selectNetwork([LOCAL], { offers: [OTHER_ESCROW], hello: null }).refusal?.code).to.equal('escrow')
    const many = Array.from({ length: 8 }, (_, i) => ({ chainId: BigInt(i + 1), escrow: E2 }))
    expect(selectNetwork([LOCAL], { offers: many, hello: null }).refusal?.msg).to.match(/chain 3 escrow 0xe7f1…0512, …; we accept/)
  })

  it('responder: the network of the initiator\'s hello (escrow compared case-blind); else our primary, whose terms refuse it', () => {
    expect(selectNetwork([LOCAL, BTTC], { offers: [LOCAL, BTTC], hello: hello(BTTC) })).to.deep.equal({ index: 1, refusal: null })
    expect(selectNetwork([LOCAL, BTTC], { offers: null, hello: hello({ ...BTTC, escrow: E2.toUpperCase().replace('0X', '0x') as `0x${string}` }) }).index).to.equal(1)
    expect(selectNetwork([LOCAL, BTTC], { offers: null, hello: hello(OTHER_ESCROW) })).to.deep.equal({ index: 0, refusal: null })
  })

  it('needs a network of ours', () => {
    expect(() => selectNetwork([], { offers: null, hello: null })).to.throw(RangeError)
  })
})
