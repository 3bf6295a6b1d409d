// The ledger's writer thread from source (tests, development under tsx): on Node 20 a worker does not inherit
// tsx's loader, so it is registered here before the TypeScript worker is loaded. dist/ runs its own bundle instead.
import { register } from 'tsx/esm/api'

register()
await import('./writer-worker.ts')
