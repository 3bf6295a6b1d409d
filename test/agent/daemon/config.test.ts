/** The daemon's config: each torrent's own price and free slots, and the one-line refusals around them. */
import { expect } from 'chai'
import { parseConfig } from '../../../agent/daemon/config.ts'
import { ConfigError } from '../../../agent/daemon/errors.ts'

const PAYMENTS = '[payments]\nprice = "0.0001"\nkey-file = "k.key"\n'

function refusal (text: string): { key: string | null, message: string } {
  try {
    parseConfig('/etc/seedpay/config.toml', text)
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError)
    const e = err as ConfigError
    expect(e.message.split('\n')).to.have.length(1)
    return { key: e.key, message: e.message }
  }
  throw new Error('accepted')
}

describe('daemon config: torrents priced one by one', () => {
  it('reads a torrent\'s own price and free slots, and the sources\' own terms', () => {
    const c = parseConfig('/etc/seedpay/config.toml', PAYMENTS +
      '[[torrent]]\nfile = "a.torrent"\ndata = "/srv"\nprice = "0.0005"\nfree-slots = 0\n' +
      '[[torrent]]\nfile = "b.torrent"\ndata = "/srv"\n' +
      '[watch]\nfolder = "w"\ndata = "/srv"\nprice = "0.0002"\n' +
      '[transmission]\nfree-slots = 2\n')
    expect(c.torrent[0]).to.include({ file: '/etc/seedpay/a.torrent', price: '0.0005', 'free-slots': 0, paid: true })
    expect(c.torrent[1]).to.not.have.property('price')
    expect(c.watch).to.include({ price: '0.0002', folder: '/etc/seedpay/w' })
    expect(c.transmission).to.include({ 'free-slots': 2, paid: true })
  })

  it('refuses a price of zero, a negative or malformed one, and more than 18 decimals, naming the key', () => {
    const t = (price: string): string => PAYMENTS + `[[torrent]]\nfile = "a.torrent"\ndata = "/srv"\nprice = ${price}\n`
    expect(refusal(t('"0"'))).to.deep.include({ key: 'torrent[0].price' })
    expect(refusal(t('"0"')).message).to.match(/more than 0.*paid = false/)
    expect(refusal(t('"-1"')).key).to.equal('torrent[0].price')
    expect(refusal(t('"1.0000000000000000001"')).key).to.equal('torrent[0].price')
    expect(refusal(t('0.1')).key).to.equal('torrent[0].price')
  })

  it('refuses a price or free slots without [payments], or on a torrent given away', () => {
    const free = refusal('[[torrent]]\nfile = "a.torrent"\ndata = "/srv"\nprice = "0.1"\n')
    expect(free.key).to.equal('torrent[0].price')
    expect(free.message).to.match(/needs a \[payments\] table/)
    expect(refusal('[watch]\nfolder = "w"\ndata = "/srv"\nfree-slots = 1\n').key).to.equal('watch.free-slots')
    const away = refusal(PAYMENTS + '[transmission]\npaid = false\nprice = "0.1"\n')
    expect(away.key).to.equal('transmission.price')
    expect(away.message).to.match(/paid = false/)
    expect(refusal(PAYMENTS + '[[torrent]]\nfile = "a.torrent"\ndata = "/srv"\nfree-slots = 101\n').key).to.equal('torrent[0].free-slots')
  })

  it('takes [daemon] encryption prefer by default, require or off when set, and refuses anything else naming the key', () => {
    expect(parseConfig('/etc/seedpay/config.toml', '').daemon.encryption).to.equal('prefer')
    expect(parseConfig('/etc/seedpay/config.toml', '[daemon]\nencryption = "require"\n').daemon.encryption).to.equal('require')
    expect(parseConfig('/etc/seedpay/config.toml', '[daemon]\nencryption = "off"\n').daemon.encryption).to.equal('off')
    expect(refusal('[daemon]\nencryption = "forced"\n').key).to.equal('daemon.encryption')
  })
})
