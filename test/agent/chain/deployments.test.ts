import { expect } from 'chai'
import { getAddress } from 'ethers'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readDeployment, writeDeployment, parseDeployment, deploymentPath, DeploymentError, addressPair } from '../../../agent/chain/deployments.ts'

const BTT = addressPair('TAFjULxiVgT4qWk6UZwjqwZXTSaGaqnVp4')
const ESCROW = addressPair('0xa614f803b6fd780986a42c78ec9c7f77e6ded13c')

describe('deployments/<network>.json', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'seedpay-deployments-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  const record = {
    network: 'nile',
    chainId: 3448148188n,
    token: BTT,
    testToken: false,
    escrow: ESCROW,
    withdrawalDelay: 86_400n,
    escrowBlock: 61_234_567,
    deployedAt: '2026-11-25T15:00:00.000Z',
    txIds: { escrow: 'ab'.repeat(32) }
  }

  it('writes and reads back a record, with bigints and both address forms', () => {
    const path = writeDeployment(record, dir)
    expect(path).to.equal(deploymentPath('nile', dir))
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
    expect(json.chainId).to.equal(3448148188)
    expect(json.escrow).to.deep.equal({ base58: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', hex: getAddress('0xa614f803b6fd780986a42c78ec9c7f77e6ded13c') })
    expect(readDeployment('nile', dir)).to.deep.equal(record)
  })

  it('accepts what the migration writes (numbers, lower-case hex) and normalises it', () => {
    writeFileSync(join(dir, 'nile.json'), JSON.stringify({
      network: 'nile', chainId: 3448148188, token: { base58: BTT.base58, hex: BTT.hex.toLowerCase() }, testToken: true,
      escrow: { base58: ESCROW.base58, hex: ESCROW.hex.toLowerCase() }, withdrawalDelay: 86400, deployedAt: '2026-11-25T15:00:00.000Z',
      txIds: { token: 'cd'.repeat(32), escrow: 'ef'.repeat(32) }
    }))
    const dep = readDeployment('nile', dir)
    expect(dep.token).to.deep.equal(BTT)
    expect(dep.escrowBlock).to.equal(undefined)
    expect(dep.withdrawalDelay).to.equal(86_400n)
  })

  it('rejects mismatched base58/hex pairs, bad tx ids, another network\'s file, and missing files with a hint', () => {
    expect(() => parseDeployment({ ...record, chainId: 1, withdrawalDelay: 1, token: { base58: BTT.base58, hex: ESCROW.hex } })).to.throw(DeploymentError, /different addresses/)
    expect(() => parseDeployment({ ...record, chainId: 1, withdrawalDelay: 1, txIds: { escrow: 'xyz' } })).to.throw(DeploymentError)
    writeDeployment({ ...record, network: 'mainnet' }, dir)
    writeFileSync(join(dir, 'nile.json'), readFileSync(join(dir, 'mainnet.json')))
    expect(() => readDeployment('nile', dir)).to.throw(DeploymentError, /names network mainnet/)
    expect(() => readDeployment('shasta', dir)).to.throw(DeploymentError, /tronbox migrate --network shasta/)
    expect(() => readDeployment('development', dir)).to.throw(DeploymentError, /npm run demo/)
  })
})
