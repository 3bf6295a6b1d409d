/** What the key commands of key-commands.ts do: the key store (agent/keys), passphrases, printing. */
import { readFileSync } from 'node:fs'
import { Wallet } from 'ethers'
import { toTronAddress } from '../chain/tron-address.ts'
import {
  KeyError, assertFree, decryptKeystore, defaultKeyName, encryptKeystore, findKey, getPassphrase, keyStoreDir, listKeys,
  looksLikeKeystore, parseHexKey, promptHidden, readSecretFile, saveKey, stdinIsTerminal, checkKeyName, type StoredKey
} from '../keys/index.ts'
import { toAddress, type Address } from '../pay/bytes.ts'
import { print } from './command-helpers.ts'
import { asCliError } from './errors.ts'

export interface KeyFlags { json: boolean, passphraseFile?: string }

async function run (fn: () => Promise<void>): Promise<void> {
  try { await fn() } catch (err) { throw asCliError(err) }
}

function described (k: StoredKey): Record<string, unknown> {
  return { name: k.name, address: k.address ?? null, base58: k.base58 ?? null, path: k.path }
}

/** `seedpay key new`. */
export async function newKey (o: KeyFlags & { name?: string }): Promise<void> {
  await run(async () => {
    if (o.name !== undefined) checkKeyName(o.name)
    const wallet = Wallet.createRandom()
    const stored = await store(wallet.privateKey, o.name, o)
    print(o, { action: 'key-new', ...described(stored) },
      `new key "${stored.name}" saved to ${stored.path}\naddress ${stored.address ?? ''} (TRON ${stored.base58 ?? ''})\nback it up: \`seedpay key export ${stored.name}\` prints the hex key TronLink imports`)
  })
}

/** `seedpay key import`. */
export async function importKey (o: KeyFlags & { name?: string, fromFile?: string }): Promise<void> {
  await run(async () => {
    if (o.name !== undefined) checkKeyName(o.name)
    const [text, source] = await importText(o.fromFile)
    let privateKey: string
    let stored: StoredKey
    if (looksLikeKeystore(text)) {
      // kept as it is (its own passphrase and scrypt cost), once we know the passphrase opens it
      const passphrase = await getPassphrase(source, false, o)
      privateKey = await decryptKeystore(text, passphrase, source)
      const address = toAddress(new Wallet(privateKey).address)
      stored = saveKey(o.name ?? defaultKeyName(address), address, withAddress(text, address))
    } else {
      privateKey = parseHexKey(text, source)
      stored = await store(privateKey, o.name, o)
    }
    print(o, { action: 'key-import', ...described(stored) },
      `imported key "${stored.name}" to ${stored.path}\naddress ${stored.address ?? ''} (TRON ${stored.base58 ?? ''})`)
  })
}

/** `seedpay key list`. */
export async function list (o: KeyFlags): Promise<void> {
  await run(async () => {
    const dir = keyStoreDir()
    const keys = listKeys(dir)
    const text = keys.length === 0
      ? `no keys in ${dir}; make one with \`seedpay key new\` or \`seedpay key import\``
      : keys.map(k => `${k.name.padEnd(Math.max(...keys.map(x => x.name.length)))}  ${k.address ?? '(no address: not a keystore?)'}  ${k.base58 ?? ''}`).join('\n')
    print(o, { dir, keys: keys.map(described) }, text)
  })
}

/** `seedpay key export <key>`. */
export async function exportKey (which: string, o: KeyFlags): Promise<void> {
  await run(async () => {
    const k = findKey(which)
    const json = readSecretFile(k.path, 'key')
    const privateKey = await decryptKeystore(json, await getPassphrase(k.path, false, o), k.path)
    process.stderr.write('warning: this is the private key in plain text: anyone who sees it can spend from the account\n')
    const address = toAddress(new Wallet(privateKey).address)
    print(o, { name: k.name, address, base58: toTronAddress(address), privateKey: privateKey.slice(2) }, privateKey.slice(2))
  })
}

/** Encrypts `privateKey` with a new passphrase (asked twice on a terminal) and saves it in the store. */
async function store (privateKey: string, name: string | undefined, o: KeyFlags): Promise<StoredKey> {
  const address = toAddress(new Wallet(privateKey).address)
  const finalName = name ?? defaultKeyName(address)
  // fail before asking for a passphrase when the name is taken or the key is already stored
  assertFree(finalName, address)
  const passphrase = await getPassphrase(`key "${finalName}"`, true, o)
  return saveKey(finalName, address, await encryptKeystore(privateKey, passphrase))
}

/** The text to import and where it came from: --from-file, else piped stdin, else a prompt on the terminal. */
async function importText (fromFile: string | undefined): Promise<[string, string]> {
  if (fromFile !== undefined) return [readSecretFile(fromFile, '--from-file'), fromFile]
  if (stdinIsTerminal()) return [await promptHidden('private key (64 hex digits, as TronLink exports it): '), 'the key typed']
  let text: string
  try {
    text = readFileSync(0, 'utf8')
  } catch (err) {
    throw new KeyError(`cannot read the key from stdin: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'pass --from-file <path>, or pipe the hex key in', 'input')
  }
  if (text.trim() === '') throw new KeyError('no key on stdin', 'pipe the hex key or keystore in (e.g. `seedpay key import < key.json`), pass --from-file <path>, or run it on a terminal to be asked', 'input')
  return [text, 'stdin']
}

/** The keystore with its `address` field set (geth's has one; some do not), so the store can find it by address. */
function withAddress (json: string, address: Address): string {
  const data = JSON.parse(json) as Record<string, unknown>
  return JSON.stringify({ ...data, address: address.slice(2) })
}
