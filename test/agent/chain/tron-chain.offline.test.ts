/**
 * TronChain without a node: calls are built against a local block header, encoded, signed and verified here.
 */
import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { TronWeb, Trx } from 'tronweb'
import { Wallet, getAddress, recoverAddress } from 'ethers'
import { TronChain } from '../../../agent/chain/tron-chain.ts'
import { refBlockOf, encodeTronCall, batchArgs, type BlockHeaderRef } from '../../../agent/chain/tron-call.ts'
import { escrowInterface, tokenInterface } from '../../../agent/chain/abi.ts'
import { decodeEscrowLog } from '../../../agent/chain/events.ts'
import { toEvmAddress, toTronAddress } from '../../../agent/chain/tron-address.ts'
import { BatchPayeeMismatchError, ReadOnlyClientError } from '../../../agent/chain/errors.ts'
import { ANVIL_KEYS } from '../../../devtools/chain/index.ts'
import { NILE_CHAIN_ID, receiptDomain, receiptMessage, RECEIPT_TYPES, type Receipt } from '../../../agent/pay/receipt.ts'

const BTT = 'TAFjULxiVgT4qWk6UZwjqwZXTSaGaqnVp4'
const ESCROW = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' // any contract address will do offline
const payer = new Wallet(ANVIL_KEYS[1])
const payee = new Wallet(ANVIL_KEYS[5])

const HEADER: BlockHeaderRef = refBlockOf({
  blockID: '0000000003a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b',
  block_header: { raw_data: { number: 0x3a1b2c3, timestamp: 1_764_000_000_000 } }
}, 60_000, 1_764_000_001_000)

// No node listens here: any network call would fail the test.
const tronWeb = new TronWeb({ fullHost: 'http://127.0.0.1:9' })
const chain = new TronChain({ tronWeb }, { escrow: ESCROW, token: BTT, chainId: NILE_CHAIN_ID, privateKey: ANVIL_KEYS[1], maxFeeLimitSun: 150_000_000 })

function valueOf (tx: Awaited<ReturnType<TronChain['buildCall']>>): { data?: string, owner_address: string, contract_address?: string } {
  return tx.raw_data.contract[0]!.parameter.value
}

async function signedReceipt (r: Receipt): Promise<string> {
  return await payer.signTypedData(receiptDomain({ chainId: NILE_CHAIN_ID, escrow: toEvmAddress(ESCROW) }), { Receipt: [...RECEIPT_TYPES.Receipt] }, receiptMessage(r))
}

describe('TronChain offline: encoding, local transactions, signatures', () => {
  const receipt: Receipt = { payer: payer.address, payee: payee.address, cumulativeBytes: 5n << 30n, cumulativeAmount: 123n * 10n ** 15n }

  it('derives the account from the key and shows it in both forms', () => {
    expect(chain.account).to.equal(payer.address)
    expect(chain.accountBase58).to.equal(toTronAddress(payer.address))
    expect(chain.escrow).to.equal(toEvmAddress(ESCROW))
  })

  it('computes TAPOS reference fields from a block', () => {
    expect(HEADER).to.deep.equal({ ref_block_bytes: 'b2c3', ref_block_hash: 'd4e5f60718293a4b', expiration: 1_764_000_061_000, timestamp: 1_764_000_001_000 })
  })

  it('encodes every escrow and token call exactly as ethers\' Interface does, with base58 arguments converted', async () => {
    const sig = await signedReceipt(receipt)
    const base58Receipt = { ...receipt, payer: toTronAddress(receipt.payer), payee: toTronAddress(receipt.payee) }
    const cases: Array<['escrow' | 'token', string, unknown[], unknown[]]> = [
      ['escrow', 'deposit', [10n ** 18n], [10n ** 18n]],
      ['escrow', 'depositFor', [toTronAddress(payee.address), 7n], [payee.address, 7n]],
      ['escrow', 'requestWithdrawal', [3n], [3n]],
      ['escrow', 'cancelWithdrawal', [], []],
      ['escrow', 'withdraw', [], []],
      ['escrow', 'setSigner', ['41' + payee.address.slice(2)], [payee.address]],
      ['escrow', 'requestRelease', [toTronAddress(payee.address), 5n], [payee.address, 5n]],
      ['escrow', 'cancelRelease', [toTronAddress(payee.address)], [payee.address]],
      ['escrow', 'release', ['41' + payee.address.slice(2)], [payee.address]],
      ['escrow', 'settle', [[base58Receipt.payer, base58Receipt.payee, receipt.cumulativeBytes, receipt.cumulativeAmount], sig], [[receipt.payer, receipt.payee, receipt.cumulativeBytes, receipt.cumulativeAmount], sig]],
      ['escrow', 'settleBatch', batchArgs(toTronAddress(payee.address), [{ receipt: base58Receipt, signature: sig }]), batchArgs(payee.address, [{ receipt, signature: sig }])],
      ['token', 'approve', [ESCROW, 2n ** 255n], [toEvmAddress(ESCROW), 2n ** 255n]],
      ['token', 'mint', [payer.address, 1n], [payer.address, 1n]]
    ]
    for (const [target, method, args, ethersArgs] of cases) {
      const iface = target === 'escrow' ? escrowInterface() : tokenInterface()
      const tx = await chain.buildCall(target, method, args, { blockHeader: HEADER })
      const value = valueOf(tx)
      expect('0x' + value.data, method).to.equal(iface.encodeFunctionData(method, ethersArgs))
      expect(value.owner_address).to.equal('41' + payer.address.slice(2).toLowerCase())
      expect(value.contract_address).to.equal('41' + toEvmAddress(target === 'escrow' ? ESCROW : BTT).slice(2).toLowerCase())
      expect(tx.raw_data.fee_limit).to.equal(150_000_000)
      expect(tx.raw_data.ref_block_bytes).to.equal(HEADER.ref_block_bytes)
      expect(tx.raw_data.ref_block_hash).to.equal(HEADER.ref_block_hash)
      expect(tx.raw_data.expiration).to.equal(HEADER.expiration)
    }
  })

  it('agrees with tronweb\'s own parameter encoder for simple calls', async () => {
    const ours = await chain.buildCall('escrow', 'depositFor', [toTronAddress(payee.address), 10n ** 20n], { blockHeader: HEADER })
    const theirs = await tronWeb.transactionBuilder.triggerSmartContract(ESCROW, 'depositFor(address,uint256)', { feeLimit: 150_000_000, txLocal: true, blockHeader: HEADER },
      [{ type: 'address', value: toTronAddress(payee.address) }, { type: 'uint256', value: (10n ** 20n).toString() }], toTronAddress(payer.address))
    expect(valueOf(ours).data).to.equal(valueOf(theirs.transaction).data)
    expect(ours.txID).to.equal(theirs.transaction.txID)
    expect(encodeTronCall(escrowInterface(), 'settle', [[receipt.payer, receipt.payee, 1n, 2n], '0x']).selector)
      .to.equal('settle((address,address,uint256,uint256),bytes)')
  })

  it('signs a locally built transaction; the signature recovers to the sender and the id is sha256(raw_data)', async () => {
    const tx = await chain.buildCall('escrow', 'settle', [[receipt.payer, receipt.payee, receipt.cumulativeBytes, receipt.cumulativeAmount], await signedReceipt(receipt)], { blockHeader: HEADER })
    expect(tx.txID).to.equal(createHash('sha256').update(Buffer.from(tx.raw_data_hex, 'hex')).digest('hex'))
    const signed = await chain.signTransaction(tx)
    expect(signed.signature).to.have.length(1)
    expect(recoverAddress('0x' + tx.txID, '0x' + signed.signature[0]!)).to.equal(payer.address)
    expect(Trx.ecRecover(signed)).to.equal(toTronAddress(payer.address))
    // A transaction another key signs does not recover to the sender.
    const other = new TronChain({ tronWeb }, { escrow: ESCROW, token: BTT, chainId: NILE_CHAIN_ID, privateKey: ANVIL_KEYS[2] })
    const forged = await other.buildCall('escrow', 'withdraw', [], { blockHeader: HEADER })
    expect(recoverAddress('0x' + forged.txID, '0x' + (await other.signTransaction(forged)).signature[0]!)).not.to.equal(payer.address)
  })

  it('refuses a batch entry for another payee and writes from a read-only client', async () => {
    const sig = await signedReceipt(receipt)
    expect(() => batchArgs(toTronAddress(payer.address), [{ receipt, signature: sig }])).to.throw(BatchPayeeMismatchError)
    const ro = new TronChain({ tronWeb }, { escrow: ESCROW, chainId: NILE_CHAIN_ID })
    expect(ro.account).to.equal(undefined)
    const err = await ro.withdraw().catch((e: unknown) => e)
    expect(err).to.be.instanceOf(ReadOnlyClientError)
  })

  it('decodes logs in TRON\'s form (hex without 0x) like EVM logs', () => {
    const iface = escrowInterface()
    const log = iface.encodeEventLog('Settled', [payer.address, payee.address, 5n, 6n, 7n])
    const tronLog = { topics: log.topics.map(t => t.slice(2)), data: log.data.slice(2) }
    const [ev] = decodeEscrowLog(tronLog, { blockNumber: 9, txId: 'ab'.repeat(32), logIndex: 0 })
    expect(ev).to.deep.equal({ blockNumber: 9, txId: 'ab'.repeat(32), logIndex: 0, name: 'Settled', payer: getAddress(payer.address), payee: getAddress(payee.address), paid: 5n, cumulativeBytes: 6n, cumulativeAmount: 7n })
  })

  it('decodes the lane events with checksummed addresses and bigints', () => {
    const iface = escrowInterface()
    const meta = { blockNumber: 3, txId: 'cd'.repeat(32), logIndex: 1 }
    const decode = (name: string, args: unknown[]): unknown => {
      const log = iface.encodeEventLog(name, args)
      return decodeEscrowLog({ topics: log.topics.map(t => t.slice(2)), data: log.data.slice(2) }, meta)
    }
    const [a, b] = [getAddress(payer.address), getAddress(payee.address)]
    expect(decode('LaneReserved', [payer.address, payee.address, 5n, 7n])).to.deep.equal([{ ...meta, name: 'LaneReserved', payer: a, payee: b, amount: 5n, lane: 7n }])
    expect(decode('LaneReleaseRequested', [payer.address, payee.address, 2n, 99n])).to.deep.equal([{ ...meta, name: 'LaneReleaseRequested', payer: a, payee: b, amount: 2n, unlockAt: 99n }])
    expect(decode('LaneReleaseCancelled', [payer.address, payee.address])).to.deep.equal([{ ...meta, name: 'LaneReleaseCancelled', payer: a, payee: b }])
    expect(decode('LaneReleased', [payer.address, payee.address, 0n])).to.deep.equal([{ ...meta, name: 'LaneReleased', payer: a, payee: b, amount: 0n }])
  })
})
