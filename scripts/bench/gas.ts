/**
 * npm run bench:gas — gas used by the escrows on anvil (the TVM energy proxy), for the tronbox-built bytecode:
 * the TRC-20 `BandwidthEscrow` (TRON) and the native-coin `NativeBandwidthEscrow` (BitTorrent Chain), each on its
 * own fresh chain, the same operations in the same order. Prints a table per escrow and, as its last line, one JSON
 * object (`gas`: the token escrow, `native`: the native one). Settlement is measured twice: on unreserved pairs
 * (paid from the free balance) and on lane-covered pairs (paid from the pair's lane, the account slot untouched).
 */
import { Contract, ContractFactory, JsonRpcProvider, Wallet, keccak256, toUtf8Bytes, type TransactionReceipt } from 'ethers'
import { startAnvil, ANVIL_KEYS } from '../../devtools/chain/index.ts'
import { loadArtifact } from '../../agent/chain/artifacts.ts'
import { encodeBatch, encodeReserveEntries } from '../../agent/chain/batch-encoding.ts'
import { receiptDomain, receiptMessage, RECEIPT_TYPES, type Receipt } from '../../agent/pay/receipt.ts'

const E18 = 10n ** 18n
const BATCH_SIZES = [1, 10, 50, 100]
const MAX_PAYERS = Math.max(...BATCH_SIZES)
/** Payees per `reserve` call in the batched row. */
const RESERVE_BATCH = 20

interface Row { what: string, gas: number, perReceipt?: number }
type Kind = 'token' | 'native'

async function main (): Promise<void> {
  const figures: Record<Kind, Record<string, number>> = { token: {}, native: {} }
  let chainId = 0n
  for (const kind of ['token', 'native'] as const) {
    const anvil = await startAnvil()
    chainId = anvil.chainId
    const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 })
    try {
      const rows = await measure(provider, anvil.chainId, kind)
      console.log(`\n${kind === 'token' ? 'BandwidthEscrow (TRC-20 token)' : 'NativeBandwidthEscrow (native coin)'}\n`)
      console.log('| operation | gas | gas per receipt (per pair for reserve) |')
      console.log('| --- | ---: | ---: |')
      for (const r of rows) console.log(`| ${r.what} | ${r.gas.toLocaleString('en-US')} | ${r.perReceipt?.toLocaleString('en-US') ?? ''} |`)
      for (const r of rows) figures[kind][r.what] = r.perReceipt ?? r.gas
    } finally {
      provider.destroy()
      await anvil.stop()
    }
  }
  console.log(JSON.stringify({ bench: 'gas', chain: 'anvil', chainId: Number(chainId), date: new Date().toISOString(), gas: figures.token, native: figures.native }))
}

async function measure (provider: JsonRpcProvider, chainId: bigint, kind: Kind): Promise<Row[]> {
  const deployer = new Wallet(ANVIL_KEYS[0], provider)
  const deployContract = async (name: string, args: unknown[]): Promise<Contract> => {
    const a = loadArtifact(name)
    const c = await new ContractFactory(a.abi, a.bytecode, deployer).deploy(...args)
    await c.waitForDeployment()
    return c as Contract
  }
  const token = await deployContract('TestBTT', [])
  const escrow = kind === 'token'
    ? await deployContract('BandwidthEscrow', [await token.getAddress(), 86_400n])
    : await deployContract('NativeBandwidthEscrow', [86_400n])
  const escrowAddress = await escrow.getAddress()
  const domain = receiptDomain({ chainId, escrow: escrowAddress })
  const sign = async (signer: Wallet, r: Receipt): Promise<string> =>
    await signer.signTypedData(domain, { Receipt: [...RECEIPT_TYPES.Receipt] }, receiptMessage(r))
  const gasOf = async (p: Promise<unknown>): Promise<number> => {
    const tx = await p as { wait: () => Promise<TransactionReceipt | null> }
    const receipt = await tx.wait()
    return Number(receipt!.gasUsed)
  }
  const as = (w: Wallet): Contract => escrow.connect(w) as Contract
  const depositAs = async (w: Wallet, amount: bigint): Promise<unknown> =>
    kind === 'token' ? await as(w).getFunction('deposit')(amount) : await as(w).getFunction('deposit')({ value: amount })

  // Payers: deterministic keys, funded with native coin for gas and with TestBTT (with coins, for the native escrow).
  const payers: Wallet[] = []
  for (let i = 0; i < MAX_PAYERS + 1; i++) {
    const w = new Wallet(keccak256(toUtf8Bytes(`seedpay bench payer ${i}`)), provider)
    await provider.send('anvil_setBalance', [w.address, '0x' + (10n ** 20n + (kind === 'native' ? 1_000_000n * E18 : 0n)).toString(16)])
    payers.push(w)
    if (kind === 'native') continue
    await (await (token.connect(w) as Contract).getFunction('mint')(w.address, 1_000_000n * E18)).wait()
    await (await (token.connect(w) as Contract).getFunction('approve')(escrowAddress, 2n ** 255n)).wait()
  }
  const payeeWallet = (i: number): Wallet => new Wallet(keccak256(toUtf8Bytes(`seedpay bench payee ${i}`)), provider)
  await provider.send('anvil_setBalance', [payeeWallet(0).address, '0x' + (10n ** 20n).toString(16)])

  const rows: Row[] = []
  rows.push({ what: 'deposit (first)', gas: await gasOf(depositAs(payers[0]!, 1000n * E18)) })
  rows.push({ what: 'deposit (later)', gas: await gasOf(depositAs(payers[0]!, 1000n * E18)) })
  for (const p of payers.slice(1)) await gasOf(depositAs(p, 1000n * E18))

  // settle alone: first on a new pair, then later on the known pair (65-byte and 64-byte signatures).
  const payee0 = payeeWallet(0)
  let cumulative = 0n
  const nextReceipt = (payer: Wallet, payee: string): Receipt =>
    ({ payer: payer.address, payee, cumulativeBytes: (cumulative += 1n << 20n), cumulativeAmount: cumulative * 1000n })
  let r = nextReceipt(payers[0]!, payee0.address)
  rows.push({ what: 'settle (new pair)', gas: await gasOf(as(payee0).getFunction('settle')(r, await sign(payers[0]!, r))) })
  r = nextReceipt(payers[0]!, payee0.address)
  rows.push({ what: 'settle (known pair)', gas: await gasOf(as(payee0).getFunction('settle')(r, await sign(payers[0]!, r))) })
  r = nextReceipt(payers[0]!, payee0.address)
  const { Signature } = await import('ethers')
  rows.push({ what: 'settle (known pair, 64-byte sig)', gas: await gasOf(as(payee0).getFunction('settle')(r, Signature.from(await sign(payers[0]!, r)).compactSerialized)) })

  // settleBatch: new pairs (a fresh payee per size), then the same pairs again (known).
  /** Settles a batch of `n` payers to `payee` twice: first receipts, then the same pairs again (known). */
  const batchRows = async (payee: Wallet, n: number, label: (known: boolean) => string): Promise<void> => {
    for (const known of [false, true]) {
      const entries = []
      for (const p of payers.slice(1, n + 1)) {
        const receipt: Receipt = { payer: p.address, payee: payee.address, cumulativeBytes: known ? 2n << 20n : 1n << 20n, cumulativeAmount: known ? 2000n * E18 / 1000n : E18 / 1000n }
        entries.push({ receipt, signature: await sign(p, receipt) })
      }
      const gas = await gasOf(as(deployer).getFunction('settleBatch')(payee.address, encodeBatch(entries)))
      rows.push({ what: `settleBatch ${n} (${label(known)})`, gas, perReceipt: Math.round(gas / n) })
    }
  }
  for (const [k, n] of BATCH_SIZES.entries()) await batchRows(payeeWallet(k + 1), n, known => `${known ? 'known' : 'new'} pairs`)

  // The same on lane-covered pairs: each payer reserves a lane for each batch's payee (one reserve call per payer),
  // then every receipt is paid from its lane. The first receipt on a reserved pair rewrites an existing slot.
  const lanePayee = (k: number): Wallet => payeeWallet(200 + k)
  for (const [i, p] of payers.slice(1).entries()) {
    const entries = BATCH_SIZES.flatMap((n, k) => i < n ? [{ payee: lanePayee(k).address, amount: 10n * E18 }] : [])
    await (await as(p).getFunction('reserve')(encodeReserveEntries(entries))).wait()
  }
  for (const [k, n] of BATCH_SIZES.entries()) await batchRows(lanePayee(k), n, known => `lane-covered, ${known ? 'known pairs' : 'first receipt'}`)

  // settleBatch with delegated signers: the signer shares the balance's slot, so this should cost the same.
  const hot = new Wallet(keccak256(toUtf8Bytes('seedpay bench hot key')), provider)
  for (const p of payers.slice(1, 51)) await (await as(p).getFunction('setSigner')(hot.address)).wait()
  const payeeHot = payeeWallet(99)
  for (const round of [1n, 2n]) {
    const entries = []
    for (const p of payers.slice(1, 51)) {
      const receipt: Receipt = { payer: p.address, payee: payeeHot.address, cumulativeBytes: round << 20n, cumulativeAmount: round * E18 }
      entries.push({ receipt, signature: await sign(hot, receipt) })
    }
    const gas = await gasOf(as(deployer).getFunction('settleBatch')(payeeHot.address, encodeBatch(entries)))
    if (round === 2n) rows.push({ what: 'settleBatch 50 (known pairs, delegated signer)', gas, perReceipt: Math.round(gas / 50) })
  }
  // Lane-covered with a delegated signer: the account slot is read for the signer, never written.
  for (const round of [3n, 4n]) {
    const entries = []
    for (const p of payers.slice(1, 51)) {
      const receipt: Receipt = { payer: p.address, payee: lanePayee(2).address, cumulativeBytes: round << 20n, cumulativeAmount: round * E18 }
      entries.push({ receipt, signature: await sign(hot, receipt) })
    }
    const gas = await gasOf(as(deployer).getFunction('settleBatch')(lanePayee(2).address, encodeBatch(entries)))
    if (round === 4n) rows.push({ what: 'settleBatch 50 (lane-covered known pairs, delegated signer)', gas, perReceipt: Math.round(gas / 50) })
  }

  // settle alone on a lane-covered pair (payer 0 reserves for a fresh payee).
  const payeeLane = payeeWallet(300)
  await provider.send('anvil_setBalance', [payeeLane.address, '0x' + (10n ** 20n).toString(16)])
  await (await as(payers[0]!).getFunction('reserve')(encodeReserveEntries([{ payee: payeeLane.address, amount: 100n * E18 }]))).wait()
  r = nextReceipt(payers[0]!, payeeLane.address)
  rows.push({ what: 'settle (lane-covered, first receipt)', gas: await gasOf(as(payeeLane).getFunction('settle')(r, await sign(payers[0]!, r))) })
  r = nextReceipt(payers[0]!, payeeLane.address)
  rows.push({ what: 'settle (lane-covered, known pair)', gas: await gasOf(as(payeeLane).getFunction('settle')(r, await sign(payers[0]!, r))) })

  // Lanes: reserve for new pairs (one, and RESERVE_BATCH in one call), then the release cycle on one lane.
  const fresh = (i: number): string => payeeWallet(1000 + i).address
  rows.push({ what: 'reserve (1 new pair)', gas: await gasOf(as(payers[0]!).getFunction('reserve')(encodeReserveEntries([{ payee: fresh(0), amount: E18 }]))) })
  rows.push({ what: 'reserve (1 existing lane)', gas: await gasOf(as(payers[0]!).getFunction('reserve')(encodeReserveEntries([{ payee: fresh(0), amount: E18 }]))) })
  const many = Array.from({ length: RESERVE_BATCH }, (_, i) => ({ payee: fresh(1 + i), amount: E18 }))
  const reserveGas = await gasOf(as(payers[0]!).getFunction('reserve')(encodeReserveEntries(many)))
  rows.push({ what: `reserve ${RESERVE_BATCH} (new pairs)`, gas: reserveGas, perReceipt: Math.round(reserveGas / RESERVE_BATCH) })
  rows.push({ what: 'requestRelease', gas: await gasOf(as(payers[0]!).getFunction('requestRelease')(fresh(0), E18)) })
  rows.push({ what: 'cancelRelease', gas: await gasOf(as(payers[0]!).getFunction('cancelRelease')(fresh(0))) })
  await (await as(payers[0]!).getFunction('requestRelease')(fresh(0), E18)).wait()
  await provider.send('evm_increaseTime', [86_400])
  rows.push({ what: 'release', gas: await gasOf(as(payers[0]!).getFunction('release')(fresh(0))) })

  rows.push({ what: 'setSigner', gas: await gasOf(as(payers[0]!).getFunction('setSigner')(hot.address)) })
  rows.push({ what: 'requestWithdrawal', gas: await gasOf(as(payers[0]!).getFunction('requestWithdrawal')(10n * E18)) })
  await provider.send('evm_increaseTime', [86_400])
  rows.push({ what: 'withdraw', gas: await gasOf(as(payers[0]!).getFunction('withdraw')()) })
  return rows
}

main().catch((err: unknown) => {
  console.error(`bench:gas failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
})
