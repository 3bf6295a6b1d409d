/**
 * Contract artifacts as tronbox built them (`build/contracts/*.json`): the bytes tested are the bytes deployed.
 */
import { readFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { InterfaceAbi } from 'ethers'

export const ARTIFACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'contracts')

export interface ContractArtifact {
  contractName: string
  abi: InterfaceAbi
  bytecode: string
  deployedBytecode: string
}

export class MissingArtifactError extends Error {
  constructor (readonly contractName: string, readonly path: string) {
    super(`contract artifact ${contractName} not found at ${path}: run \`npm run compile\` (tronbox compile) first`)
    this.name = 'MissingArtifactError'
  }
}

export function loadArtifact (contractName: string, dir = ARTIFACTS_DIR): ContractArtifact {
  const path = join(dir, `${contractName}.json`)
  if (!existsSync(path)) throw new MissingArtifactError(contractName, path)
  const json = JSON.parse(readFileSync(path, 'utf8')) as ContractArtifact
  return json
}
