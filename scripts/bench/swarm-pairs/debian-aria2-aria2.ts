import { Aria2Client } from '../../../devtools/clients/index.ts'
import { debianPair } from './debian-common.ts'

/** aria2c seeds → aria2c downloads; aria2c only dials peers from a tracker, so both announce to one. */
export const pair = debianPair('aria2c→aria2c', () => new Aria2Client(), () => new Aria2Client(), 'tracker')
