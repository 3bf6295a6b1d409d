// tronbox downloads its compiler on first use; this machine (and CI) cannot reach the download host.
// The npm package solc@0.8.29 ships the same soljson build, so we prime tronbox's compiler cache with it.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { join } from 'node:path'

const VERSION = '0.8.29'
const require = createRequire(import.meta.url)
let source
try {
  source = require.resolve('solc/soljson.js')
} catch {
  console.log('install-solc: solc is not installed (production install?); skipping tronbox compiler cache')
  process.exit(0)
}
const dir = join(homedir(), '.tronbox', 'solc')
const target = join(dir, `soljson_v${VERSION}.js`)
mkdirSync(dir, { recursive: true })
if (!existsSync(target)) copyFileSync(source, target)
console.log(`install-solc: tronbox compiler cache has solc ${VERSION} at ${target}`)
