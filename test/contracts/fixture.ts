/**
 * Shared deploy fixture for the escrow tests: the tronbox-built artifacts deployed with plain ethers on the
 * anvil of test/helpers/anvil.ts (a snapshot per test, so every test starts from the same fresh state).
 * Every suite that is not about one asset runs for both escrows (`ESCROW_KINDS`): the TRC-20 `BandwidthEscrow`
 * over TestBTT, and `NativeBandwidthEscrow` holding the chain's coin. The native chain charges no gas (base fee
 * and gas price 0), so a wallet's coin balance moves only by what the escrow sends and receives.
 */
import {
  Contract, ContractFactory, Signature, getAddress, solidityPacked, type Interface, type JsonRpcProvider, type Wallet
} from 'ethers'
import { expect } from 'chai'
import type { Anvil } from '../../devtools/chain/index.ts'
import { loadArtifact } from '../../agent/chain/artifacts.ts'
import type { Receipt } from '../../agent/pay/receipt.ts'
import { useAnvil, increaseTime as increaseChainTime, signTypedReceipt, GAS_FREE_ANVIL_ARGS } from '../helpers/anvil.ts'

export const DELAY = 3_600n
export const E18 = 10n ** 18n

/** Which escrow a suite runs against: the TRC-20 one or the native-coin one. */
export type EscrowKind = 'token' | 'native'
export const ESCROW_KINDS: readonly EscrowKind[] = ['token', 'native']
/** The contract's name for a kind, for suite titles and deployments. */
export const escrowContract = (kind: EscrowKind): string => kind === 'token' ? 'BandwidthEscrow' : 'NativeBandwidthEscrow'

export interface EscrowFixture {
  kind: EscrowKind
  anvil: Anvil
  provider: JsonRpcProvider
  deployer: Wallet
  payers: Wallet[]
  payees: Wallet[]
  /** TestBTT (or the suite's test token); deployed for the native kind too, so token-agnostic helpers need no branch, but that escrow never holds it. */
  token: Contract
  escrow: Contract
  escrowAddress: string
  tokenAddress: string
}

export interface FixtureInit {
  /** @default 'token' */
  kind?: EscrowKind
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
  const kind = init.kind ?? 'token'
  const fx = { kind } as EscrowFixture
  useAnvil(async ({ anvil, provider, wallets }) => {
    Object.assign(fx, { anvil, provider })
    fx.deployer = wallets[0]!
    fx.payers = wallets.slice(1, 5)
    fx.payees = wallets.slice(5, 9)
    fx.token = await deploy(init.token ?? 'TestBTT', fx.deployer, init.tokenArgs ?? [])
    fx.tokenAddress = await fx.token.getAddress()
    const delay = init.delay ?? DELAY
    fx.escrow = await deployEscrow(fx, delay)
    fx.escrowAddress = await fx.escrow.getAddress()
    if (kind === 'native') return
    for (const w of [...fx.payers, fx.deployer]) {
      await (await fx.token.connect(w).getFunction('mint')(w.address, 1_000_000n * E18)).wait()
      await (await fx.token.connect(w).getFunction('approve')(fx.escrowAddress, 2n ** 255n)).wait()
    }
  }, kind === 'native' ? { extraArgs: GAS_FREE_ANVIL_ARGS } : {})
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

/** Deposits `amount` for `payer` from its own wallet: tokens (approved by the fixture) or coins as `msg.value`. */
export async function deposit (fx: EscrowFixture, payer: Wallet, amount: bigint): Promise<import('ethers').TransactionReceipt> {
  return await send(escrowAs(fx, payer), 'deposit', ...depositArgs(fx, amount))
}

/** The arguments of `deposit` for `amount`: the amount itself, or the coins as the call's value. */
export function depositArgs (fx: EscrowFixture, amount: bigint): unknown[] {
  return fx.kind === 'token' ? [amount] : [{ value: amount }]
}

/** Gives `wallet` `amount` more of the asset: TestBTT minted, or coins set with `anvil_setBalance`. */
export async function mintAsset (fx: EscrowFixture, wallet: Wallet, amount: bigint): Promise<void> {
  if (fx.kind === 'token') {
    await send(fx.token.connect(wallet) as Contract, 'mint', wallet.address, amount)
    return
  }
  await fx.provider.send('anvil_setBalance', [wallet.address, '0x' + (await fx.provider.getBalance(wallet.address) + amount).toString(16)])
}

/** Another escrow of the fixture's kind (same token), for replay tests. */
export async function deployEscrow (fx: EscrowFixture, delay = DELAY): Promise<Contract> {
  return await deploy(escrowContract(fx.kind), fx.deployer, fx.kind === 'token' ? [fx.tokenAddress, delay] : [delay])
}

/** What `address` holds of the escrow's asset: its TestBTT, or its coins. */
export async function assetBalance (fx: EscrowFixture, address: string): Promise<bigint> {
  return fx.kind === 'token' ? await fx.token.getFunction('balanceOf')(address) as bigint : await fx.provider.getBalance(address)
}

/** What the escrow itself holds. */
export async function escrowHolds (fx: EscrowFixture): Promise<bigint> {
  return await assetBalance(fx, fx.escrowAddress)
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

export interface Transfer { from: string, to: string, value: bigint }

/**
 * What moved of the escrow's asset in a transaction: the token's Transfer events, or, for coins, every call that
 * carried value and succeeded (anvil's callTracer), the transaction's own value included. A payout a recipient
 * refused is not a transfer.
 */
export async function transfersIn (fx: EscrowFixture, receipt: import('ethers').TransactionReceipt): Promise<Transfer[]> {
  if (fx.kind === 'native') return await valueCalls(fx, receipt.hash)
  const out: Transfer[] = []
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== fx.tokenAddress.toLowerCase()) continue
    const parsed = fx.token.interface.parseLog(log)
    if (parsed?.name === 'Transfer') out.push({ from: parsed.args[0] as string, to: parsed.args[1] as string, value: parsed.args[2] as bigint })
  }
  return out
}

interface CallFrame { from: string, to?: string, value?: string, error?: string, calls?: CallFrame[] }

async function valueCalls (fx: EscrowFixture, txHash: string): Promise<Transfer[]> {
  const root = await fx.provider.send('debug_traceTransaction', [txHash, { tracer: 'callTracer' }]) as CallFrame
  const out: Transfer[] = []
  const walk = (f: CallFrame): void => {
    if (f.error !== undefined) return // reverted: neither it nor anything under it moved
    const value = BigInt(f.value ?? '0x0')
    if (value > 0n && f.to !== undefined) out.push({ from: getAddress(f.from), to: getAddress(f.to), value })
    for (const c of f.calls ?? []) walk(c)
  }
  walk(root)
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
