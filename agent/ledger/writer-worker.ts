/**
 * The ledger's writer thread (started by writer-thread.ts): its own connection to the ledger file, opened as the
 * main thread's was, and one durable transaction per request (Ledger.recordMany).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Ledger, type LedgerInit } from './ledger.ts'
import { errorToWire } from './errors.ts'
import type { WriterReply, WriterRequest } from './writer-thread.ts'

const port = parentPort
if (port === null) throw new Error('writer-worker.ts runs only as a worker thread')
const ledger = new Ledger({}, workerData as LedgerInit)
port.postMessage({ ready: true } satisfies WriterReply)

port.on('message', ({ id, entries }: WriterRequest) => {
  let reply: WriterReply
  try {
    reply = { id, results: ledger.recordMany(entries).map(e => e === null ? null : errorToWire(e)) }
  } catch (err) {
    reply = { id, failed: errorToWire(err) }
  }
  port.postMessage(reply)
})
