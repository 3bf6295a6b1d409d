import { Wallet } from 'ethers'
import { HotKeySigner } from '../../../agent/pay/signer.ts'
import { ReceiptVerifier } from '../../../agent/pay/verifier.ts'
import { toAddress, type Address } from '../../../agent/pay/bytes.ts'
import { NILE_CHAIN_ID, type EscrowDomain } from '../../../agent/pay/receipt.ts'

/** anvil's first keys: public test keys. */
export const PAYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
export const PAYEE_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
export const OTHER_KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'

export const DOMAIN: EscrowDomain = { chainId: NILE_CHAIN_ID, escrow: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }

export const payer: Address = toAddress(new Wallet(PAYER_KEY).address)
export const payee: Address = toAddress(new Wallet(PAYEE_KEY).address)

export function verifierFor (domain = DOMAIN, signers: Record<string, Address[]> = {}): ReceiptVerifier {
  return new ReceiptVerifier({ signers: { signersOf: p => signers[p] ?? [] } }, { domain })
}

export const payerSigner = new HotKeySigner(PAYER_KEY)
export const otherSigner = new HotKeySigner(OTHER_KEY)
