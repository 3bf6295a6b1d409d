#!/usr/bin/env -S node --max-semi-space-size=4
// Runs the TypeScript CLI through tsx: the project has no build step (the installed package ships agent/*.ts).
// --max-semi-space-size=4: the engine allocates many short-lived objects per block, and V8's default 16 MiB
// semi-spaces add ~45 MiB of peak RSS to a 1 GiB download for no speed gain (measured; it must be a
// startup flag, v8.setFlagsFromString is too late).
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

// Our own tsconfig, not one tsx would find from the current folder (another project's, when run from there).
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) })
await import('../agent/cli/main.ts')
