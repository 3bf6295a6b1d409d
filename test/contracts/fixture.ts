/**
 * Shared deploy fixture for the escrow tests: the tronbox-built artifacts deployed with plain ethers on the
 * anvil of test/helpers/anvil.ts (a snapshot per test, so every test starts from the same fresh state).
 */
import {
  Contract, ContractFactory, Signature, solidityPacked, type Interface, type JsonRpcProvider, type Wallet
} from 'ethers'
import { expect } from 'chai'
import type { Anvil } from '../../devtools/chain/index.ts'
import { loadArtifact } from '../../agent/chain/artifacts.ts'
import type { Receipt } from '../../agent/pay/receipt.ts'
import { useAnvil, increaseTime as increaseChainTime, signTypedReceipt } from '../helpers/anvil.ts'

export const DELAY = 3_600n
export const E18 = 10n ** 18n

export interface EscrowFixture {
  anvil: Anvil
  provider: JsonRpcProvider
  deployer: Wallet
  payers: Wallet[]
  payees: Wallet[]
  token: Contract
  escrow: Contract
  escrowAddress: string
  tokenAddress: string
}

export interface FixtureInit {
  token?: 'TestBTT' | 'NoReturnToken' | 'FeeOnTransferToken' | 'FalseReturnToken'
  tokenArgs?: unknown[]
  delay?: bigint
}

export async function deploy (artifactName: string, signer: Wallet, args: unknown[] = []): Promise<Contract> {
  const artifact = loadArtifact(artifactName)
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, signer)
  const contract = await factory.deploy(...args)
  await contract.waitForDeployment()
  return contract as Contract
}

export function contractAt (artifactName: string, address: string, signer: Wallet): Contract {
  return new Contract(address, loadArtifact(artifactName).abi, signer)
}

/**
 * Registers mocha hooks that start a chain, deploy token + escrow, and revert to that state before each test.
 * Returns an object whose fields are filled in by the `before` hook.
 */
export function useEscrowFixture (init: FixtureInit = {}): EscrowFixture {
  const fx = {} as EscrowFixture
  useAnvil(async ({ anvil, provider, wallets }) => {
    Object.assign(fx, { anvil, provider })
    fx.deployer = wallets[0]!
    fx.payers = wallets.slice(1, 5)
    fx.payees = wallets.slice(5, 9)
    fx.token = await deploy(init.token ?? 'TestBTT', fx.deployer, init.tokenArgs ?? [])
    fx.tokenAddress = await fx.token.getAddress()
    fx.escrow = await deploy('BandwidthEscrow', fx.deployer, [fx.tokenAddress, init.delay ?? DELAY])
    fx.escrowAddress = await fx.escrow.getAddress()
    for (const w of [...fx.payers, fx.deployer]) {
      await (await fx.token.connect(w).getFunction('mint')(w.address, 1_000_000n * E18)).wait()
      await (await fx.token.connect(w).getFunction('approve')(fx.escrowAddress, 2n ** 255n)).wait()
    }
  })
  return fx
}

/** A receipt from `payer` to `payee` (wallets) for cumulative `bytes` and `amount`. */
export function receiptOf (payer: Wallet, payee: Wallet, bytes: bigint, amount: bigint): Receipt {
  return { payer: payer.address, payee: payee.address, cumulativeBytes: bytes, cumulativeAmount: amount }
}

/**
 * An escrow over a freshly deployed test token `tokenName`, with `amount` minted to `payer` and approved:
 * for the tests of unusual tokens.
 */
export async function escrowWithToken (fx: EscrowFixture, tokenName: string, tokenArgs: unknown[], payer: Wallet, amount: bigint): Promise<{ token: Contract, escrow: Contract }> {
  const token = await deploy(tokenName, fx.deployer, tokenArgs)
  const escrow = await deploy('BandwidthEscrow', fx.deployer, [await token.getAddress(), DELAY])
  await send(token.connect(payer) as Contract, 'mint', payer.address, amount)
  await send(token.connect(payer) as Contract, 'approve', await escrow.getAddress(), amount)
  return { token, escrow: escrow.connect(payer) as Contract }
}

export function escrowAs (fx: EscrowFixture, wallet: Wallet): Contract {
  return fx.escrow.connect(wallet) as Contract
}

/** Sends a transaction and waits for its receipt. */
export async function send (contract: Contract, method: string, ...args: unknown[]): Promise<import('ethers').TransactionReceipt> {
  const tx = await contract.getFunction(method)(...args) as import('ethers').ContractTransactionResponse
  const receipt = await tx.wait()
  if (receipt === null) throw new Error(`${method}: no receipt`)
  return receipt
}

export async function deposit (fx: EscrowFixture, payer: Wallet, amount: bigint): Promise<void> {
  await send(escrowAs(fx, payer), 'deposit', amount)
}

export async function increaseTime (fx: EscrowFixture, seconds: bigint): Promise<void> {
  await increaseChainTime(fx.provider, seconds)
}

export interface SignOptions {
  /** Sign for another escrow or chain (replay tests). */
  escrow?: string
  chainId?: bigint
}

/** Signs a receipt with `signer` (the payer or its hot key); returns the 65-byte signature. */
export async function signReceipt (fx: EscrowFixture, signer: Wallet, receipt: Receipt, opts: SignOptions = {}): Promise<string> {
  return await signTypedReceipt(signer, { chainId: opts.chainId ?? fx.anvil.chainId, escrow: opts.escrow ?? fx.escrowAddress }, receipt)
}

export function compact (signature: string): string {
  return Signature.from(signature).compactSerialized
}

/** Packs one settleBatch entry: payer ‖ uint64 bytes ‖ uint128 amount ‖ r ‖ vs. */
export function batchEntry (receipt: Receipt, signature: string): string {
  const sig = Signature.from(signature)
  return solidityPacked(['address', 'uint64', 'uint128', 'bytes32', 'bytes32'],
    [receipt.payer, receipt.cumulativeBytes, receipt.cumulativeAmount, sig.r, sig.yParityAndS])
}

export function packBatch (entries: string[]): string {
  return '0x' + entries.map(e => e.slice(2)).join('')
}

/** Packs `reserve` calldata: payee ‖ uint128 amount per entry (36 bytes each). */
export function reserveEntries (entries: Array<[payee: string, amount: bigint]>): string {
  return packBatch(entries.map(([payee, amount]) => solidityPacked(['address', 'uint128'], [payee, amount])))
}

/** `(lane, paidOut)` of a pair, as `laneOf` returns them. */
export async function laneOf (fx: EscrowFixture, payer: Wallet, payee: Wallet): Promise<[bigint, bigint]> {
  const r = await fx.escrow.getFunction('laneOf')(payer.address, payee.address) as [bigint, bigint]
  return [r[0], r[1]]
}

/**
 * The escrow's storage slots a mined transaction touched, from anvil's prestateTracer: `read` every slot it
 * accessed (read or written), `written` the slots whose value changed, with their new values.
 */
export async function escrowStorageTouched (fx: EscrowFixture, txHash: string): Promise<{ read: string[], written: Record<string, string> }> {
  type State = Record<string, { storage?: Record<string, string> }>
  const key = fx.escrowAddress.toLowerCase()
  const pre = await fx.provider.send('debug_traceTransaction', [txHash, { tracer: 'prestateTracer' }]) as State
  const diff = await fx.provider.send('debug_traceTransaction', [txHash, { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }]) as { post: State }
  return { read: Object.keys(pre[key]?.storage ?? {}), written: diff.post[key]?.storage ?? {} }
}

/** Asserts that `promise` reverts with the custom error `name` (and `args`, when given). */
export async function expectRevert (promise: Promise<unknown>, iface: Interface, name: string, args?: unknown[]): Promise<void> {
  try {
    await promise
  } catch (err) {
    const data = revertData(err)
    const parsed = data === undefined ? null : iface.parseError(data)
    expect(parsed?.name, `expected ${name}, got ${String((err as Error).message).slice(0, 300)}`).to.equal(name)
    if (args !== undefined) expect([...parsed!.args]).to.deep.equal(args)
    return
  }
  expect.fail(`expected revert ${name}, but the call succeeded`)
}

/** Finds the revert data in an ethers error, however deeply the provider nested it. */
export function revertData (err: unknown): string | undefined {
  let e: unknown = err
  for (let i = 0; i < 5 && typeof e === 'object' && e !== null; i++) {
    const rec = e as { data?: unknown, error?: unknown, info?: { error?: unknown } }
    if (typeof rec.data === 'string' && rec.data.startsWith('0x')) return rec.data
    e = rec.error ?? rec.info?.error
  }
  return undefined
}

/** Counts token Transfer events in a transaction receipt. */
export function transfersIn (fx: EscrowFixture, receipt: import('ethers').TransactionReceipt): Array<{ from: string, to: string, value: bigint }> {
  const out: Array<{ from: string, to: string, value: bigint }> = []
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== fx.tokenAddress.toLowerCase()) continue
    const parsed = fx.token.interface.parseLog(log)
    if (parsed?.name === 'Transfer') out.push({ from: parsed.args[0] as string, to: parsed.args[1] as string, value: parsed.args[2] as bigint })
  }
  return out
}

/** Decodes escrow events from a transaction receipt. */
export function escrowEvents (fx: EscrowFixture, receipt: import('ethers').TransactionReceipt): Array<{ name: string, args: unknown[] }> {
  const out: Array<{ name: string, args: unknown[] }> = []
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== fx.escrowAddress.toLowerCase()) continue
    const parsed = fx.escrow.interface.parseLog(log)
    if (parsed !== null) out.push({ name: parsed.name, args: [...parsed.args] })
  }
  return out
}
