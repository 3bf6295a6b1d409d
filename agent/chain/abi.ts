/**
 * The escrow's and the token's ABIs, taken from the tronbox artifacts (the bytes tested are the bytes
 * deployed), and the decoding of revert data into typed errors. Loaded lazily: importing this module does not
 * need `npm run compile`, using it does.
 */
import { Interface, getAddress, type ErrorDescription, type InterfaceAbi, type JsonFragment } from 'ethers'
import { loadArtifact } from './artifacts.ts'
import { EscrowRevertError, UnknownRevertError, type EscrowErrorArgs, type EscrowErrorName } from './errors.ts'

let escrowIface: Interface | undefined
let nativeEscrowIface: Interface | undefined
let tokenIface: Interface | undefined
let errorsIface: Interface | undefined

function fragments (name: string): JsonFragment[] {
  return loadArtifact(name).abi as JsonFragment[]
}

/** BandwidthEscrow's full ABI (IBandwidthEscrowCore + IBandwidthEscrow, plus its public constants). */
export function escrowInterface (): Interface {
  escrowIface ??= new Interface(fragments('BandwidthEscrow'))
  return escrowIface
}

/** NativeBandwidthEscrow's ABI: the same core, with `deposit()` / `depositFor(address)` payable, `claim`, `unclaimedOf`. */
export function nativeEscrowInterface (): Interface {
  nativeEscrowIface ??= new Interface(fragments('NativeBandwidthEscrow'))
  return nativeEscrowIface
}

/** A TRC-20 / ERC-20 token, plus TestBTT's faucet `mint`. */
export function tokenInterface (): Interface {
  tokenIface ??= new Interface([
    ...fragments('IERC20Metadata'),
    ...fragments('TestBTT').filter(f => f.type === 'function' && f.name === 'mint')
  ] as InterfaceAbi)
  return tokenIface
}

/** Every custom error a call into either escrow can surface: their own, OpenZeppelin's, and the token's. */
function errorsInterface (): Interface {
  if (errorsIface !== undefined) return errorsIface
  const seen = new Set<string>()
  const all: JsonFragment[] = []
  for (const name of ['BandwidthEscrow', 'NativeBandwidthEscrow', 'IERC20Errors', 'SafeERC20']) {
    for (const f of fragments(name)) {
      if (f.type !== 'error' || f.name === undefined || seen.has(f.name)) continue
      seen.add(f.name)
      all.push(f)
    }
  }
  errorsIface = new Interface(all)
  return errorsIface
}

function normalise (value: unknown): unknown {
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)) return getAddress(value)
  return value
}

function argsOf (desc: ErrorDescription): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  desc.fragment.inputs.forEach((input, i) => {
    out[input.name === '' ? `arg${i}` : input.name] = normalise(desc.args[i])
  })
  return out
}

/**
 * Decodes revert data into an EscrowRevertError (custom error, `Error(string)` or `Panic(uint256)`), or an
 * UnknownRevertError when the data matches nothing in the ABI.
 */
export function decodeRevert (data: string | undefined, txId?: string, detail = ''): EscrowRevertError | UnknownRevertError {
  if (data === undefined || data === '0x' || data.length < 10) return new UnknownRevertError(data, txId, detail)
  let desc: ErrorDescription | null = null
  try {
    desc = errorsInterface().parseError(data)
  } catch {
    desc = null
  }
  if (desc === null) return new UnknownRevertError(data, txId, detail)
  // parseError also understands Error(string) and Panic(uint256), with names "Error" and "Panic".
  const name = desc.name as EscrowErrorName
  if (name === 'Error') return new EscrowRevertError('Error', { message: String(desc.args[0]) }, data, txId)
  if (name === 'Panic') return new EscrowRevertError('Panic', { code: desc.args[0] as bigint }, data, txId)
  return new EscrowRevertError(name, argsOf(desc) as unknown as EscrowErrorArgs[typeof name], data, txId)
}
