/**
 * The dashboard's files (web/ in the package: plain HTML, CSS and one ES module, nothing from a CDN), read once
 * and served from memory. Only the files listed here are served: no path from a request reaches the file system.
 */
import { readFile } from 'node:fs/promises'

const WEB = new URL('../../web/', import.meta.url)

const FILES: Record<string, { file: string, type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' }
}

const cache = new Map<string, Buffer>()

/** The file for `path`, or null if the dashboard has none there. */
export async function webAsset (path: string): Promise<{ body: Buffer, type: string } | null> {
  const entry = FILES[path]
  if (entry === undefined) return null
  let body = cache.get(entry.file)
  if (body === undefined) {
    body = await readFile(new URL(entry.file, WEB))
    cache.set(entry.file, body)
  }
  return { body, type: entry.type }
}
