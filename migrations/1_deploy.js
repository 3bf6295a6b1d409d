// seedpay deployment: TestBTT (unless a token is given) and BandwidthEscrow, recorded in deployments/<network>.json.
//
// IMPORTANT: CommonJS on purpose, despite package.json's "type": "module". tronbox does not load migrations
// through Node's module loader: it reads the file and runs it in a vm sandbox that provides `require`,
// `module.exports`, `artifacts` and `tronWeb`, and it only picks up files ending in `.js` (not `.cjs`/`.mjs`).
// Nothing else imports this file.
//
//   export TRON_PRIVATE_KEY=<hex>               the deployer (funded with TRX for energy)
//   SEEDPAY_TOKEN=<T... | 41hex | 0xhex>        use this token instead of deploying TestBTT
//                                               (mainnet default: BTT TAFjULxiVgT4qWk6UZwjqwZXTSaGaqnVp4)
//   SEEDPAY_WITHDRAWAL_DELAY=<seconds>          default 86400
//   SEEDPAY_REDEPLOY=1                          deploy again although deployments/<network>.json exists
//   SEEDPAY_CHAIN_ID=<id>                       for networks other than nile and mainnet
//   SEEDPAY_DEPLOYMENTS_DIR=<dir>               default <repo>/deployments
//
//   npx tronbox migrate --network nile          (docs/deploy-nile.md)

const fs = require('fs')
const path = require('path')
const { getAddress } = require('ethers')
const { TronWeb } = require('tronweb')

const MAINNET_BTT = 'TAFjULxiVgT4qWk6UZwjqwZXTSaGaqnVp4'
// The chain id TVM's CHAINID returns (low 4 bytes of the genesis block id); receipts are signed for it.
const CHAIN_IDS = { nile: 3448148188, mainnet: 728126428, development: 3448148188 }

const TestBTT = artifacts.require('TestBTT')
const BandwidthEscrow = artifacts.require('BandwidthEscrow')

// `tronbox migrate --evm` (a local EVM chain such as anvil) exposes `ethers` to migrations; TRON networks do not.
const EVM = typeof ethers !== 'undefined'

/** Any address form (base58, 41-hex, 0x-hex) → both forms. */
function addressPair (address) {
  const hex41 = TronWeb.address.toHex(address)
  return { base58: TronWeb.address.fromHex(hex41), hex: getAddress('0x' + hex41.slice(2)) }
}

/** A constructor argument as the chain's client expects it. */
function addressArg (pair) {
  return EVM ? pair.hex : '41' + pair.hex.slice(2).toLowerCase()
}

function withdrawalDelay () {
  const raw = process.env.SEEDPAY_WITHDRAWAL_DELAY ?? '86400'
  if (!/^[1-9][0-9]*$/.test(raw)) throw new Error(`SEEDPAY_WITHDRAWAL_DELAY must be a positive integer of seconds, got ${raw}`)
  return raw
}

function chainIdOf (network) {
  const fromEnv = process.env.SEEDPAY_CHAIN_ID
  if (fromEnv !== undefined && fromEnv !== '') return Number(fromEnv)
  const known = CHAIN_IDS[network]
  if (known === undefined) throw new Error(`unknown chain id for network ${network}: set SEEDPAY_CHAIN_ID`)
  return known
}

async function blockOf (txId) {
  if (EVM) return (await ethers.provider.getTransactionReceipt(txId))?.blockNumber
  // The deployment is mined by the time deploy() resolves; its info may lag a block behind.
  for (let i = 0; i < 20; i++) {
    const info = await tronWeb.trx.getUnconfirmedTransactionInfo(txId)
    if (info && typeof info.blockNumber === 'number') return info.blockNumber
    await new Promise(resolve => setTimeout(resolve, 3000))
  }
  return undefined
}

module.exports = function (deployer, network) {
  deployer.then(async () => {
    const dir = process.env.SEEDPAY_DEPLOYMENTS_DIR || path.join(__dirname, '..', 'deployments')
    const file = path.join(dir, `${network}.json`)
    if (fs.existsSync(file) && process.env.SEEDPAY_REDEPLOY !== '1') {
      console.log(`  seedpay: ${file} exists; not deploying again (set SEEDPAY_REDEPLOY=1 to replace it)`)
      return
    }
    const chainId = chainIdOf(network)
    const delay = withdrawalDelay()
    const txIds = {}
    let token = process.env.SEEDPAY_TOKEN || (network === 'mainnet' ? MAINNET_BTT : '')
    const testToken = token === ''
    if (testToken) {
      const t = await deployer.deploy(TestBTT)
      token = t.address
      txIds.token = t.transactionHash
    }
    const tokenPair = addressPair(token)
    const escrow = await deployer.deploy(BandwidthEscrow, addressArg(tokenPair), delay)
    txIds.escrow = escrow.transactionHash
    const escrowBlock = await blockOf(escrow.transactionHash)

    const record = {
      network,
      chainId,
      token: tokenPair,
      testToken,
      escrow: addressPair(escrow.address),
      withdrawalDelay: Number(delay),
      ...(escrowBlock === undefined ? {} : { escrowBlock }),
      deployedAt: new Date().toISOString(),
      txIds
    }
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(file, JSON.stringify(record, null, 2) + '\n')
    console.log(`  seedpay: escrow ${record.escrow.base58} (token ${tokenPair.base58}${testToken ? ', TestBTT' : ''}) → ${file}`)
  })
}
