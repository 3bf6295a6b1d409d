/** Benchmark payloads: random bytes written in 4 MiB chunks, so a 1 GiB file never sits in memory at once. */
import { open } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'

export async function writeRandomFile (path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w')
  try {
    const chunk = 4 * 1024 * 1024
    for (let done = 0; done < bytes; done += chunk) await fh.write(randomBytes(Math.min(chunk, bytes - done)))
  } finally {
    await fh.close()
  }
}
