/**
 * Private keys on disk: either 64 hex digits (what TronLink's "export private key" gives, with or without 0x)
 * or the scrypt JSON keystore ("Web3 Secret Storage", version 3) that ethers, geth and MetaMask read and write.
 *
 * New keystores use ethers' default scrypt cost (N = 2^17, r = 8, p = 1: about 0.75 s to decrypt on a
 * 2-core test machine), which is what keeps a stolen file from being brute-forced. `SEEDPAY_SCRYPT_N` (a power
 * of two, at least 1024) lowers N for new keystores; it exists for tests, never set it for real keys. Decryption
 * reads the cost from the file, so keystores written either way read the same.
 */
import { Wallet, decryptKeystoreJson, encryptKeystoreJson, isKeystoreJson } from 'ethers'
import { toAddress, type Address } from '../pay/bytes.ts'
import { addressOfKey } from '../pay/key-address.ts'
import { KeyError } from './errors.ts'

const DEFAULT_SCRYPT_N = 131072

/** The scrypt N for new keystores: ethers' default, or `SEEDPAY_SCRYPT_N` (tests). */
export function scryptN (env: NodeJS.ProcessEnv = process.env): number {
  const text = env['SEEDPAY_SCRYPT_N']
  if (text === undefined || text === '') return DEFAULT_SCRYPT_N
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1024 || n > 1048576 || (n & (n - 1)) !== 0) {
    throw new KeyError(`SEEDPAY_SCRYPT_N "${text}" is not a power of two from 1024 to 1048576`, 'unset SEEDPAY_SCRYPT_N (it is meant for tests only)', 'input')
  }
  return n
}

/** `text` as a private key: 64 hex digits, 0x optional, surrounding whitespace ignored. Returns 0x + lowercase hex. */
export function parseHexKey (text: string, source: string): string {
  const hex = text.trim().replace(/^0x/i, '')
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new KeyError(`${source} does not hold a private key (64 hex digits) or a JSON keystore`, 'put the hex private key alone in the file (TronLink exports it as 64 hex digits), or use `seedpay key new` / `seedpay key import`', 'input')
  const key = '0x' + hex.toLowerCase()
  try {
    // rejects 0 and values at or above the curve order, which no account can have
    addressOfKey(key)
  } catch {
    throw new KeyError(`${source} holds no valid secp256k1 private key (zero or out of range)`, 'use a real private key', 'input')
  }
  return key
}

export function looksLikeKeystore (text: string): boolean {
  return text.trimStart().startsWith('{')
}

/** The address a keystore says it holds (its `address` field), without decrypting; undefined when it has none. */
export function keystoreAddress (json: string): Address | undefined {
  try {
    const data = JSON.parse(json) as { address?: unknown }
    if (typeof data.address !== 'string') return undefined
    const hex = data.address.replace(/^0x/i, '')
    return /^[0-9a-fA-F]{40}$/.test(hex) ? toAddress('0x' + hex) : undefined
  } catch {
    return undefined
  }
}

/** Decrypts a keystore; a wrong passphrase or a file ethers cannot read becomes a KeyError naming `source`. */
export async function decryptKeystore (json: string, passphrase: string, source: string): Promise<string> {
  if (!isKeystoreJson(json)) throw new KeyError(`${source} is JSON but not a keystore (no crypto section, version 3)`, 'pass a keystore written by seedpay, ethers, geth or MetaMask, or a hex key file', 'input')
  try {
    return (await decryptKeystoreJson(json, passphrase)).privateKey.toLowerCase()
  } catch (err) {
    const msg = (err as Error).message
    if (msg.includes('incorrect password')) throw new KeyError(`wrong passphrase for ${source}`, 'check SEEDPAY_PASSPHRASE or --passphrase-file, or type it again', 'input')
    throw new KeyError(`cannot decrypt ${source}: ${msg.split(' (')[0] ?? msg}`, 'pass a keystore written by seedpay, ethers, geth or MetaMask, or a hex key file', 'input')
  }
}

/** A keystore JSON (scrypt, version 3) for `privateKey`. */
export async function encryptKeystore (privateKey: string, passphrase: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const wallet = new Wallet(privateKey)
  return await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, passphrase, { scrypt: { N: scryptN(env) } })
}
