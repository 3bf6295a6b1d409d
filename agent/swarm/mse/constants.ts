/**
 * Message Stream Encryption / Protocol Encryption (MSE/PE, the Azureus/Vuze spec libtorrent, Transmission and
 * bittorrent-protocol implement; no BEP number). Wire constants and limits, each with its reason.
 *
 *   1 A→B  Ya, PadA
 *   2 B→A  Yb, PadB
 *   3 A→B  HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S), ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
 *   4 B→A  ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload)
 *   5 A↔B  ENCRYPT2(payload)
 * SKEY is the torrent's info hash; S the Diffie-Hellman shared secret.
 */

/** 768-bit safe prime of the spec, generator 2. */
export const DH_PRIME_HEX = 'ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a63a36210000000000090563'
export const DH_GENERATOR = 2
/** Ya, Yb and S are 768 bits, big-endian, left-padded. */
export const DH_KEY_BYTES = 96
/** Spec: PadA–PadD are 0–512 random bytes. Longer padding is a violation. */
export const MAX_PAD = 512
/** Verification constant: 8 zero bytes, sent encrypted so the other side can find where the RC4 stream starts. */
export const VC = Buffer.alloc(8)
/** crypto_provide / crypto_select bits. */
export const CRYPTO_PLAINTEXT = 0x01
export const CRYPTO_RC4 = 0x02
/**
 * IA (initial payload the initiator may append to step 3) is normally the 68-byte BitTorrent handshake; we allow a
 * little more (a handshake plus an extended handshake) and refuse anything longer so one peer cannot make us buffer 64 KiB.
 */
export const MAX_IA = 4096
/** Hash length (SHA-1). */
export const HASH_BYTES = 20
/**
 * Responder: HASH('req1', S) must start within PadA's 512 bytes after Ya, so it ends by Ya + 512 + 20 = 628 bytes.
 * Initiator: ENCRYPT(VC) must start within PadB, so it ends by 512 + 8 bytes after Yb.
 */
export const MAX_REQ1_SEARCH = MAX_PAD + HASH_BYTES
export const MAX_VC_SEARCH = MAX_PAD + VC.length
/** Whole MSE handshake, from connect to the last byte of PadD (libtorrent: handshake_timeout 10 s). */
export const MSE_TIMEOUT_MS = 10_000
