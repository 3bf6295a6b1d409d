/** Creates the directory a download writes into, one level at a time, with a plain error when it cannot. */
import { mkdir, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { CliError } from './errors.ts'

/**
 * Makes `dir` (and, for a multi-file torrent, the directories of `files` under it). Not `mkdir -p`: Node's
 * recursive mkdir never returns where mkdir answers ENOENT although the parent exists (`/proc/x`: it retries
 * forever in the thread pool at 100 % CPU, so the run could neither fail nor stop).
 * @throws CliError (exit 2) when a level cannot be created or is not a directory
 */
export async function makeOutDir (flag: string, dir: string, files: readonly string[] = []): Promise<void> {
  const root = resolve(dir)
  await makeDirs(flag, dir, root)
  const subdirs = new Set(files.map(f => dirname(join(root, f))).filter(d => d !== root))
  for (const d of subdirs) await makeDirs(flag, dir, d)
}

async function makeDirs (flag: string, given: string, target: string): Promise<void> {
  const missing: string[] = []
  let p = target
  for (;;) {
    const kind = await kindOf(p)
    if (kind === 'dir') break
    if (kind === 'other') throw new CliError(`${flag} ${given}: ${p} is not a directory`, `pass a directory for ${flag}`, 2)
    missing.unshift(p)
    const up = dirname(p)
    if (up === p) break
    p = up
  }
  for (const m of missing) {
    try {
      await mkdir(m)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err)
      if (code === 'EEXIST' && await kindOf(m) === 'dir') continue
      throw new CliError(`cannot create ${flag} ${given}: ${m} (${code})`, `pass a directory you can write to for ${flag}`, 2)
    }
  }
}

async function kindOf (p: string): Promise<'dir' | 'other' | 'missing'> {
  try {
    return (await stat(p)).isDirectory() ? 'dir' : 'other'
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return 'other'
    throw new CliError(`cannot use ${p} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'pass a directory you can write to', 2)
  }
}
