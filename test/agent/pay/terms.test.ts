import { expect } from 'chai'
import { checkTerms } from '../../../agent/pay/terms.ts'
import { TermsRefusedError } from '../../../agent/pay/errors.ts'
import { toAddress } from '../../../agent/pay/bytes.ts'
import { DOMAIN, payer, payee } from './fixtures.ts'

const self = { domain: DOMAIN, account: payer }
const terms = { chainId: DOMAIN.chainId, escrow: toAddress(DOMAIN.escrow), account: payee, pricePerMiB: 100n, credit: 1n << 22n }

describe('checkTerms', () => {
  it('accepts a payee on our chain and escrow at or below our maximum price', () => {
    checkTerms(self, terms, 100n)
  })
  it('refuses a payee whose price exceeds our maximum', () => {
    expect(() => checkTerms(self, terms, 99n)).to.throw(TermsRefusedError).with.property('reason', 'price')
  })
  it('refuses a payee on another chain or escrow', () => {
    expect(() => checkTerms(self, { ...terms, chainId: 1n }, 100n)).to.throw(TermsRefusedError).with.property('reason', 'chain')
    expect(() => checkTerms(self, { ...terms, escrow: toAddress('0x' + '44'.repeat(20)) }, 100n)).to.throw(TermsRefusedError).with.property('reason', 'escrow')
  })
  it('refuses a peer announcing our own account', () => {
    expect(() => checkTerms(self, { ...terms, account: payer }, 100n)).to.throw(TermsRefusedError).with.property('reason', 'self')
  })
  it('refuses a peer whose account can never be paid: the zero address or the escrow', () => {
    expect(() => checkTerms(self, { ...terms, account: toAddress('0x' + '00'.repeat(20)) }, 100n)).to.throw(TermsRefusedError, /zero address/)
      .with.property('reason', 'payee-address')
    expect(() => checkTerms(self, { ...terms, account: toAddress(DOMAIN.escrow) }, 100n)).to.throw(TermsRefusedError, /the escrow/)
      .with.property('reason', 'payee-address')
  })
})
