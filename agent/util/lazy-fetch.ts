/**
 * What the build bundles in place of `cross-fetch-ponyfill` (scripts/build.ts), the fetch parse-torrent imports.
 * That module imports node-fetch and reads every fetch global (`global.fetch || …`) as it loads, and the first read
 * of one makes Node load its own undici and http2: ~0.2 s of CPU at the start of every `seed` and `get` (a CPU
 * profile of a swarm leecher's start-up), for a function seedpay never calls (parse-torrent fetches only a torrent
 * given as a URL; loadTorrent hands it bytes). Node 20 has fetch; this reads it only when called. Since only
 * parse-torrent's `remote` would call it, and nothing calls that, esbuild leaves this module out of dist/ too.
 */
export default async function fetch (input: string | URL | Request, init?: RequestInit): Promise<Response> {
  return await globalThis.fetch(input, init)
}
