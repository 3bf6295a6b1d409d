/**
 * Who we talk to, encrypted or not. Follows libtorrent's enc_policy:
 * - `prefer` (libtorrent pe_enabled): dial with MSE offering plaintext or RC4, and redial plain once if that fails;
 *   accept plain and MSE; as responder pick plaintext when offered (libtorrent's prefer_rc4 = false) so the payload
 *   stays on the plain fast path, RC4 when only RC4 is offered.
 * - `require` (pe_forced with allowed_enc_level rc4): MSE with RC4 only, both ways; a plain handshake is refused.
 * - `off` (pe_disabled): plain only; an incoming MSE handshake is refused.
 */
import { CRYPTO_PLAINTEXT, CRYPTO_RC4 } from './constants.ts'

export const ENCRYPTION_POLICIES = ['prefer', 'require', 'off'] as const
export type EncryptionPolicy = typeof ENCRYPTION_POLICIES[number]
/** @default prefer, as libtorrent's out_enc_policy and in_enc_policy default to pe_enabled. */
export const DEFAULT_ENCRYPTION: EncryptionPolicy = 'prefer'

export function isEncryptionPolicy (s: string): s is EncryptionPolicy {
  return (ENCRYPTION_POLICIES as readonly string[]).includes(s)
}

/** crypto_provide we send as initiator. */
export function cryptoProvide (policy: EncryptionPolicy): number {
  return policy === 'require' ? CRYPTO_RC4 : CRYPTO_PLAINTEXT | CRYPTO_RC4
}

/** crypto_select as responder for the peer's crypto_provide, or 0 if nothing acceptable was offered. */
export function cryptoSelect (policy: EncryptionPolicy, provide: number): number {
  if (policy === 'require') return provide & CRYPTO_RC4
  if ((provide & CRYPTO_PLAINTEXT) !== 0) return CRYPTO_PLAINTEXT
  return provide & CRYPTO_RC4
}
