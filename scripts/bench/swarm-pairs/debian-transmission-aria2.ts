import { Aria2Client, TransmissionClient } from '../../../devtools/clients/index.ts'
import { debianPair } from './debian-common.ts'

/** Transmission 3 seeds → aria2c downloads (aria2c learns the seeder from a tracker and dials it). */
export const pair = debianPair('transmission→aria2c', () => new TransmissionClient(), () => new Aria2Client(), 'tracker')
