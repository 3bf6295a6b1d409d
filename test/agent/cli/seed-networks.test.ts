import { expect } from 'chai'
import { splitNetworks } from '../../../agent/cli/seed-networks.ts'
import { CliError } from '../../../agent/cli/errors.ts'
import type { PaymentFlags } from '../../../agent/cli/payment-flags.ts'

const base: PaymentFlags = { network: 'local', json: true, logLevel: 'warn', keyFile: 'k' }

function refused (flags: Partial<PaymentFlags>): string {
  try { splitNetworks({ ...base, ...flags }) } catch (err) {
    expect(err).to.be.instanceOf(CliError)
    expect((err as CliError).exitCode).to.equal(2)
    return (err as Error).message
  }
  throw new Error('not refused')
}

describe('seed --network a,b: one set of flags per network', () => {
  it('one network is the flags as given (an rpc URL with = in its query stays whole)', () => {
    const o = { ...base, price: '0.01', rpc: 'http://127.0.0.1:8545/?key=x' }
    expect(splitNetworks(o)).to.deep.equal([o])
    expect(splitNetworks({ ...base, price: 'local=0.01' })).to.deep.equal([{ ...base, price: '0.01' }])
  })

  it('several: each network gets its own price, node, escrow and ledger; a plain price is every network\'s', () => {
    const split = splitNetworks({ ...base, network: 'local, local-bttc', price: 'local=0.01,local-bttc=0.005', rpc: 'local=http://a,local-bttc=http://b', ledger: 'local-bttc=/x.sqlite' })
    expect(split).to.deep.equal([
      { ...base, network: 'local', price: '0.01', rpc: 'http://a' },
      { ...base, network: 'local-bttc', price: '0.005', rpc: 'http://b', ledger: '/x.sqlite' }
    ])
    expect(splitNetworks({ ...base, network: 'nile,bttc', price: '0.02' }).map(f => [f.network, f.price])).to.deep.equal([['nile', '0.02'], ['bttc', '0.02']])
  })

  it('refuses, exit 2, what cannot be one network\'s', () => {
    expect(refused({ network: 'local,moon', price: '1' })).to.match(/--network "moon" is not one of/)
    expect(refused({ network: 'local,local', price: '1' })).to.match(/names local twice/)
    expect(refused({ network: 'local,local-bttc', price: 'local=1' })).to.match(/--price gives no price for local-bttc/)
    expect(refused({ network: 'local,local-bttc', price: 'local=1,nile=2' })).to.match(/--price names nile, which --network does not list/)
    expect(refused({ network: 'local,local-bttc', price: 'local=1,local=2' })).to.match(/--price names local twice/)
    expect(refused({ network: 'local,local-bttc', price: 'local=1,local-bttc' })).to.match(/item "local-bttc" is not <network>=<value>/)
    expect(refused({ network: 'local,local-bttc', price: '1', escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3' })).to.match(/--escrow 0x5fbd.* names no network, and this seeder accepts local, local-bttc/)
  })
})
