/** `seedpay create`: a .torrent from a file or directory. */
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { loadTorrent, createTorrentFile, magnetFor } from '../swarm/index.ts'
import { CliError } from './errors.ts'
import { checkUrl, collect, intOption } from './flags.ts'

export function registerCreateCommand (program: Command): void {
  program.command('create')
    .description('make a .torrent from a file or directory')
    .argument('<path>', 'file or directory to share')
    .option('-t, --tracker <url>', 'tracker announce URL (repeatable)', collect, [])
    .option('-o, --output <file>', 'where to write the .torrent (default: <name>.torrent in the current directory)')
    .option('--piece-length <bytes>', 'piece length in bytes (power of two; default chosen from the size)')
    .option('--json', 'print the result as one JSON line', false)
    .action(async (path: string, o: { tracker: string[], output?: string, pieceLength?: string, json: boolean }) => {
      const pieceLength = o.pieceLength === undefined ? undefined : intOption('--piece-length', o.pieceLength, 16384, 64 * 1048576)
      for (const url of o.tracker) checkUrl(url)
      const buf = await createTorrentFile(resolve(path), { announce: o.tracker, ...(pieceLength !== undefined ? { pieceLength } : {}) })
      const source = await loadTorrent(buf)
      if (source.kind !== 'torrent') throw new CliError('internal: created torrent has no metadata', 'report this as a bug')
      const out = o.output ?? `${source.name}.torrent`
      await writeFile(out, buf)
      const result = { torrent: out, infoHash: source.infoHash, name: source.name, length: source.length, pieces: source.pieceCount, pieceLength: source.pieceLength, magnet: magnetFor(source) }
      if (o.json) process.stdout.write(JSON.stringify({ event: 'created', ...result }) + '\n')
      else process.stdout.write(`wrote ${out}\ninfo hash ${result.infoHash}\n${result.pieces} pieces of ${result.pieceLength} bytes, ${result.length} bytes\n${result.magnet}\n`)
    })
}
