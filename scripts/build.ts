/**
 * `npm run build` (also `prepare`, so `npm ci` and `npm pack` run it, and the mocha root hook before every test
 * run): bundles the CLI, agent/cli/main.ts and everything it imports, dependencies included, into dist/ with
 * esbuild; bin/seedpay.js runs dist/seedpay.js. Through tsx, `seedpay --help` took ~0.8 s, compiling TypeScript
 * and loading every dependency file by file; from the bundle a command loads a few files, each parsed once
 * (docs/benchmarks.md, "Start-up").
 *
 * - Code splitting: each command's implementation (`await import('./account-actions.ts')` in the command files)
 *   is a chunk of its own, so `--help` loads only commander and the declarations, `account` only ethers and the
 *   EVM client, and tronweb (the largest library) loads only for a TRON node.
 * - A chunk holds whole modules, and with code splitting esbuild keeps every module an index re-exports (it ignores
 *   "sideEffects": false then). So the modules the light commands import name the module they need
 *   (`../chain/evm-chain.ts`), not the layer's index.ts: `../chain/index.ts` would bring TronChain and tronweb.
 *   test/e2e/cli-build.test.ts checks what `--help` and `account` load.
 * - `import.meta.url` in our modules keeps meaning the source file's URL (agent/chain/artifacts.ts finds
 *   build/contracts as `../../build/contracts` from it), as if the code had not been moved into dist/.
 * - The native modules (better-sqlite3, secp256k1) stay in node_modules, and so does js-sha3, which keccak.ts loads
 *   with require.
 *
 *   npx tsx scripts/build.ts      writes dist/ (only the files that changed), prints one line
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const DIST = join(ROOT, 'dist')
/** The entry point bin/seedpay.js imports. */
export const DIST_MAIN = join(DIST, 'seedpay.js')
const AGENT = join(ROOT, 'agent')

/** Loaded from node_modules at run time: native bindings, found relative to their own package folder. */
const EXTERNAL = ['better-sqlite3', 'secp256k1']

/**
 * Bundled CommonJS dependencies call `require` (of node: modules, of each other); an ES module has none, so every
 * output file defines one. The odd name keeps clear of any identifier in the bundle.
 */
const BANNER = "import { createRequire as __seedpayCreateRequire } from 'node:module'; const require = __seedpayCreateRequire(import.meta.url);"

/** Our modules under agent/ keep `import.meta.url` as in the source. */
const sourceUrls: Plugin = {
  name: 'seedpay-import-meta-url',
  setup (b) {
    b.onLoad({ filter: /\.ts$/ }, args => {
      if (!args.path.startsWith(AGENT)) return undefined
      const code = readFileSync(args.path, 'utf8')
      if (/import\.meta\.(dirname|filename)/.test(code)) throw new Error(`${relative(ROOT, args.path)}: use import.meta.url (the build keeps it the source file's; dirname/filename would be dist/'s)`)
      // Every output file lies directly in dist/, so this is the source file's URL wherever the package is.
      const url = `new URL(${JSON.stringify(relative(DIST, args.path).split('\\').join('/'))}, import.meta.url).href`
      return { contents: code.replaceAll('import.meta.url', url), loader: 'ts' }
    })
  }
}

/**
 * `cross-fetch-ponyfill`, the fetch parse-torrent imports, becomes Node's own fetch, read only when called. The
 * ponyfill imports node-fetch and reads every fetch global as it loads (`global.fetch || …`), and the first read makes
 * Node load its undici and http2: ~0.2 s of CPU at the start of every `seed` and `get`, for a function seedpay never
 * calls (parse-torrent fetches only in its `remote`, for a torrent given as a URL; loadTorrent hands it bytes). As
 * nothing calls it, esbuild then leaves it out altogether.
 */
const lazyFetch: Plugin = {
  name: 'seedpay-lazy-fetch',
  setup (b) {
    b.onResolve({ filter: /^cross-fetch-ponyfill$/ }, () => ({ path: 'cross-fetch-ponyfill', namespace: 'seedpay-lazy-fetch' }))
    b.onLoad({ filter: /.*/, namespace: 'seedpay-lazy-fetch' }, () => ({
      contents: 'export default async function fetch (input, init) { return await globalThis.fetch(input, init) }',
      loader: 'js'
    }))
  }
}

export interface BuildReport { files: number, written: number, ms: number }

/**
 * Builds dist/. Writes only the files whose content changed, each through a temporary file and a rename, chunks
 * before the entry point, and removes files of older builds: a `seedpay` started meanwhile (another test run in
 * the same tree) reads either the old build or the new one, never a half-written file.
 */
export async function buildCli (): Promise<BuildReport> {
  const started = Date.now()
  const result = await build({
    absWorkingDir: ROOT,
    // The ledger's writer thread is a module of its own (a Worker is started from a file): agent/ledger/writer-thread.ts.
    entryPoints: { seedpay: join(AGENT, 'cli', 'main.ts'), 'ledger-writer': join(AGENT, 'ledger', 'writer-worker.ts') },
    outdir: DIST,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    banner: { js: BANNER },
    // Tells the code it runs from dist/ (agent/ledger/writer-thread.ts picks its worker's file by it).
    define: { SEEDPAY_BUNDLE: 'true' },
    chunkNames: 'chunk-[hash]',
    plugins: [sourceUrls, lazyFetch],
    write: false,
    logLevel: 'warning'
  })
  mkdirSync(DIST, { recursive: true })
  const outputs = [...result.outputFiles].sort((a, b) => Number(a.path === DIST_MAIN) - Number(b.path === DIST_MAIN))
  let written = 0
  for (const f of outputs) {
    let old: string | undefined
    try { old = readFileSync(f.path, 'utf8') } catch {}
    if (old === f.text) continue
    const tmp = join(DIST, `.${basename(f.path)}.${process.pid}.tmp`)
    writeFileSync(tmp, f.contents)
    renameSync(tmp, f.path)
    written++
  }
  const keep = new Set(outputs.map(f => basename(f.path)))
  for (const name of readdirSync(DIST)) if (!keep.has(name) && !name.endsWith('.tmp')) rmSync(join(DIST, name), { force: true })
  return { files: outputs.length, written, ms: Date.now() - started }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await buildCli()
  process.stdout.write(`build: dist/ has ${r.files} files, ${r.written} rewritten (${r.ms} ms)\n`)
}
