/** What `seedpay create` (create-command.ts) does: hash the file or directory, write the .torrent, print it. */
import { realpath, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve, isAbsolute, sep } from 'node:path'
import { loadTorrent, createTorrentFile, magnetFor } from '../swarm/index.ts'
import { BLOCK_LENGTH } from '../pay/index.ts'
import { CliError } from './errors.ts'
import { checkUrl, intOption } from './flags.ts'

export interface CreateFlags { tracker: string[], output?: string, force: boolean, pieceLength?: string, json: boolean }

/** `seedpay create <path>`. */
export async function create (path: string, o: CreateFlags): Promise<void> {
  const pieceLength = o.pieceLength === undefined ? undefined : intOption('--piece-length', o.pieceLength, BLOCK_LENGTH, 64 * 1048576)
  for (const url of o.tracker) checkUrl(url)
  const input = resolve(path)
  const out = o.output ?? `${basename(input)}.torrent`
  await checkOutput(out, await existingInput(path), path, o.force)
  const buf = await createTorrentFile(input, { announce: o.tracker, ...(pieceLength !== undefined ? { pieceLength } : {}) })
  const source = await loadTorrent(buf)
  if (source.kind !== 'torrent') throw new CliError('internal: created torrent has no metadata', 'report this as a bug')
  try {
    // 'wx' refuses a file that appeared while hashing; --force overwrites.
    await writeFile(out, buf, { flag: o.force ? 'w' : 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists(out)
    throw new CliError(`cannot write ${out} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'check the folder exists and is writable, or pass another -o', 2)
  }
  const result = { torrent: out, infoHash: source.infoHash, name: source.name, length: source.length, pieces: source.pieceCount, pieceLength: source.pieceLength, magnet: magnetFor(source) }
  if (o.json) process.stdout.write(JSON.stringify({ event: 'created', ...result }) + '\n')
  else process.stdout.write(`wrote ${out}\ninfo hash ${result.infoHash}\n${result.pieces} pieces of ${result.pieceLength} bytes, ${result.length} bytes\n${result.magnet}\n`)
}

/** The input's real path (symlinks resolved, so the inside-check below cannot be dodged). */
async function existingInput (path: string): Promise<string> {
  try {
    return await realpath(resolve(path))
  } catch {
    throw new CliError(`${path} does not exist`, 'pass the file or folder you want to share', 2)
  }
}

/** The .torrent must not land inside the content being hashed, nor replace a file without --force. */
async function checkOutput (out: string, input: string, path: string, force: boolean): Promise<void> {
  const target = await realTarget(resolve(out))
  const rel = relative(input, target)
  if (rel === '' || (rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel))) {
    throw new CliError(`the output ${out} is inside ${path}, the content being hashed`, 'write the .torrent somewhere outside it with -o', 2)
  }
  let s
  try { s = await stat(target) } catch { return }
  if (s.isDirectory()) throw new CliError(`the output ${out} is a directory`, 'pass a file name with -o', 2)
  if (!force) throw exists(out)
}

/** The output's real path: its parent resolved through symlinks (the file itself may not exist yet). */
async function realTarget (abs: string): Promise<string> {
  try { return await realpath(abs) } catch {}
  try { return join(await realpath(dirname(abs)), basename(abs)) } catch { return abs }
}

function exists (out: string): CliError {
  return new CliError(`${out} already exists`, 'pass --force to overwrite it, or another -o', 2)
}
