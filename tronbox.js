// tronbox configuration. Keys come from the environment, never from this file.
// Nile: export TRON_PRIVATE_KEY=<hex> && npx tronbox migrate --network nile  (see docs/deploy-nile.md)
const compilerSettings = {
  optimizer: { enabled: true, runs: 10000 },
  viaIR: true,
  // OpenZeppelin 5 emits MCOPY and PUSH0; TVM (>= 4.8) executes both.
  evmVersion: 'cancun'
}

export const networks = {
  nile: {
    privateKey: process.env.TRON_PRIVATE_KEY,
    userFeePercentage: 100,
    feeLimit: 1000 * 1e6,
    fullHost: process.env.TRON_FULL_HOST ?? 'https://nile.trongrid.io',
    network_id: '3'
  },
  mainnet: {
    privateKey: process.env.TRON_PRIVATE_KEY,
    userFeePercentage: 100,
    feeLimit: 1000 * 1e6,
    fullHost: process.env.TRON_FULL_HOST ?? 'https://api.trongrid.io',
    network_id: '1'
  }
}

export const compilers = { solc: { version: '0.8.29', settings: compilerSettings } }
