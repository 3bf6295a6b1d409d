/**
 * Pure pieces of a TRON contract call: ABI encoding with TRON address forms, the TAPOS block reference, and
 * argument normalisation. No node, no key: TronChain composes them, tests check them offline.
 */
import type { Interface } from 'ethers'
import { encodeBatch } from './batch-encoding.ts'
import type { SignedReceipt } from './client.ts'
import { BatchPayeeMismatchError } from './errors.ts'
import { toEvmAddress } from './tron-address.ts'
import type { NodeBlock } from './tron-node.ts'
import type { Receipt } from '../pay/receipt.ts'

/** The fields of a TRON transaction's raw_data that anchor it to a recent block (TAPOS). */
export interface BlockHeaderRef {
  ref_block_bytes: string
  ref_block_hash: string
  expiration: number
  timestamp: number
}

/** TAPOS reference to `block`, as java-tron expects: block number's low 2 bytes and bytes 8..16 of its id. */
export function refBlockOf (block: NodeBlock, expirationMs = 60_000, now = Date.now()): BlockHeaderRef {
  const num = block.block_header.raw_data.number
  return {
    ref_block_bytes: num.toString(16).padStart(16, '0').slice(-4),
    ref_block_hash: block.blockID.slice(16, 32),
    expiration: Math.max(now, block.block_header.raw_data.timestamp) + expirationMs,
    timestamp: now
  }
}

/**
 * An ABI call as TRON's API takes it: the canonical signature and the 0x-hex encoded arguments. Arguments of
 * ABI type `address` (also inside tuples and arrays) may be base58, 41-hex or 0x-hex.
 */
export function encodeTronCall (iface: Interface, method: string, args: readonly unknown[]): { selector: string, parameter: string, data: string } {
  const fragment = iface.getFunction(method)
  if (fragment === null) throw new TypeError(`no function ${method} in the ABI`)
  if (args.length !== fragment.inputs.length) throw new TypeError(`${method} takes ${fragment.inputs.length} arguments, got ${args.length}`)
  const converted = fragment.inputs.map((input, i): unknown =>
    input.walk(args[i], (type, value: unknown) => type === 'address' && typeof value === 'string' ? toEvmAddress(value) : value))
  const data = iface.encodeFunctionData(fragment, converted)
  return { selector: fragment.format('sighash'), parameter: '0x' + data.slice(10), data }
}

/** A receipt whose addresses may be base58, as 0x-hex. */
export function evmReceipt (receipt: Receipt): Receipt {
  return { ...receipt, payer: toEvmAddress(receipt.payer), payee: toEvmAddress(receipt.payee) }
}

/** settleBatch's arguments after checking every entry is for `payee`. */
export function batchArgs (payee: string, entries: readonly SignedReceipt[]): [string, string] {
  const to = toEvmAddress(payee)
  const normalised = entries.map((e, i) => {
    const receipt = evmReceipt(e.receipt)
    if (receipt.payee !== to) throw new BatchPayeeMismatchError(i, to, receipt.payee)
    return { receipt, signature: e.signature }
  })
  return [to, encodeBatch(normalised)]
}
