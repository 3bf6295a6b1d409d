/** Account keys: the key store, keystore files, the passphrase sources and the permission rule. */
export { KeyError } from './errors.ts'
export { keyStoreDir } from './home.ts'
export { assertPrivateFile } from './permissions.ts'
export { getPassphrase, type PassphraseOptions } from './passphrase.ts'
export { promptHidden, stdinIsTerminal } from './prompt.ts'
export { decryptKeystore, encryptKeystore, keystoreAddress, looksLikeKeystore, parseHexKey, scryptN } from './keystore.ts'
export { keyFromText, readKeyFile, readSecretFile } from './key-file.ts'
export { assertFree, checkKeyName, defaultKeyName, findKey, listKeys, saveKey, type StoredKey } from './store.ts'
