/**
 * The key store: `<SEEDPAY_HOME or ~/.seedpay>/keys/<name>.json`, one keystore per key, the directory mode 700
 * and each file mode 600. A file is never overwritten (written with O_EXCL), and one key is stored once. A key is
 * found by its name or by its address (0x… or T…), read from the keystore's `address` field without decrypting.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { toEvmAddress, toTronAddress } from '../chain/tron-address.ts'
import { toAddress, type Address } from '../pay/bytes.ts'
import { KeyError } from './errors.ts'
import { keyStoreDir } from './home.ts'
import { keystoreAddress } from './keystore.ts'

export interface StoredKey {
  name: string
  path: string
  /** 0x-hex, lowercase; undefined when the file holds no readable address. */
  address: Address | undefined
  /** The same address as TRON shows it (T…). */
  base58: string | undefined
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export function checkKeyName (name: string): string {
  if (!NAME.test(name)) throw new KeyError(`key name "${name}" is not allowed`, 'use up to 64 letters, digits, ".", "_" or "-", starting with a letter or digit', 'input')
  return name
}

/** The default name of a new key: its address (lowercase 0x-hex), unique per key. */
export function defaultKeyName (address: Address): string {
  return address.toLowerCase()
}

/** Every key in the store, sorted by name; an empty list when the store does not exist yet. */
export function listKeys (dir = keyStoreDir()): StoredKey[] {
  let files: string[]
  try {
    files = readdirSync(dir).filter(f => f.endsWith('.json') && NAME.test(f.slice(0, -5))).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new KeyError(`cannot read the key store ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check SEEDPAY_HOME and the directory\'s permissions', 'input')
  }
  return files.map(f => {
    const path = join(dir, f)
    let address: Address | undefined
    try { address = keystoreAddress(readFileSync(path, 'utf8')) } catch { address = undefined }
    return { name: f.slice(0, -5), path, address, base58: address === undefined ? undefined : toTronAddress(address) }
  })
}

/** The stored key named `nameOrAddress`, or holding that address. */
export function findKey (nameOrAddress: string, dir = keyStoreDir()): StoredKey {
  const keys = listKeys(dir)
  const byName = keys.find(k => k.name === nameOrAddress)
  if (byName !== undefined) return byName
  let address: Address | undefined
  try { address = toAddress(toEvmAddress(nameOrAddress)) } catch { address = undefined }
  const byAddress = address === undefined ? undefined : keys.find(k => k.address === address)
  if (byAddress !== undefined) return byAddress
  throw new KeyError(`no key "${nameOrAddress}" in ${dir}`,
    keys.length === 0 ? 'make one with `seedpay key new` or `seedpay key import`' : 'see `seedpay key list` for the names and addresses', 'input')
}

/** Throws unless `name` is free and `address` is not stored yet (checked before asking for a passphrase, and on save). */
export function assertFree (name: string, address: Address, dir = keyStoreDir()): void {
  checkKeyName(name)
  const keys = listKeys(dir)
  const path = join(dir, `${name}.json`)
  if (keys.some(k => k.name === name)) throw new KeyError(`a key named "${name}" already exists (${path})`, 'pick another --name; seedpay never overwrites a key file', 'input')
  const same = keys.find(k => k.address === address)
  if (same !== undefined) throw new KeyError(`${address} is already in the key store as "${same.name}" (${same.path})`, `use --key ${same.name}; seedpay stores a key once`, 'input')
}

/** Writes a keystore under `name`; refuses an existing name or an address already stored. Returns the entry. */
export function saveKey (name: string, address: Address, json: string, dir = keyStoreDir()): StoredKey {
  assertFree(name, address, dir)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new KeyError(`cannot create the key store ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check SEEDPAY_HOME and the permissions of its parent', 'operation')
  }
  const path = join(dir, `${name}.json`)
  try {
    writeFileSync(path, json + '\n', { mode: 0o600, flag: 'wx' })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new KeyError(`a key named "${name}" already exists (${path})`, 'pick another --name; seedpay never overwrites a key file', 'input')
    throw new KeyError(`cannot write ${path}: ${code ?? (err as Error).message}`, 'check the key store directory is writable', 'operation')
  }
  return { name, path, address, base58: toTronAddress(address) }
}
