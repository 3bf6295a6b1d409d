#!/usr/bin/env -S node --max-semi-space-size=4 --openssl-legacy-provider
// Runs the compiled CLI, dist/seedpay.js: `npm run build` bundles agent/ into it (scripts/build.ts), and `npm ci`,
// `npm pack` and the test runner build it first, so it starts without compiling TypeScript.
// --max-semi-space-size=4: the engine allocates many short-lived objects per block, and V8's default 16 MiB
// semi-spaces add ~45 MiB of peak RSS to a 1 GiB download for no speed gain (measured; it must be a
// startup flag, v8.setFlagsFromString is too late).
// --openssl-legacy-provider: OpenSSL 3 keeps RC4 there, and MSE/PE encrypted connections run RC4 (agent/swarm/mse/rc4.ts:
// OpenSSL's measured ~3x the pure-JS fallback inside a running agent). It only adds algorithms; defaults are unchanged.
import { existsSync } from 'node:fs'
import module from 'node:module'

// Node ≥ 22.1 can keep V8's compiled code of dist/ between runs (parsing it is ~30 ms of a command's ~0.2 s on
// Node 20, which has no such cache: there this is a no-op; not measured on 22 here).
module.enableCompileCache?.()

const main = new URL('../dist/seedpay.js', import.meta.url)
if (!existsSync(main)) {
  process.stderr.write('error: seedpay is not built (no dist/seedpay.js): run npm run build\n')
  process.exit(1)
}
await import(main.href)
