/** devtools/chain: the local chain for the demo, benchmarks and tests (anvil, TestBTT + escrow deployment). */
export { startAnvil, ANVIL_KEYS, type Anvil, type AnvilInit } from './anvil.ts'
export { deployTestBTT, deployLocal, type LocalDeployInit } from './local-deploy.ts'
export { depositTestFunds, type FundableClient } from './fund.ts'
