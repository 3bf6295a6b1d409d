/** MSE/PE (Message Stream Encryption): policy, handshake state machine, socket driver, RC4. */
export { MseHandshake, type MseLink, type MseStep, type FindTorrent, type MseHandshakeInit } from './handshake.ts'
export { driveMse, type DriveMseInit, type MseInput } from './drive.ts'
export { ENCRYPTION_POLICIES, DEFAULT_ENCRYPTION, isEncryptionPolicy, cryptoProvide, cryptoSelect, type EncryptionPolicy } from './policy.ts'
export { createRc4, JsRc4, NativeRc4, nativeRc4Available, RC4_DROP, RC4_IMPLEMENTATION, type Rc4 } from './rc4.ts'
export { req2Hash } from './dh.ts'
export { MSE_TIMEOUT_MS } from './constants.ts'
