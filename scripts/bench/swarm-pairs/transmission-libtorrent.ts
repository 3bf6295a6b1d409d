import { LibtorrentClient, TransmissionClient } from '../../../devtools/clients/index.ts'
import { debianPair } from './debian-common.ts'

/** Transmission 3 seeds → libtorrent downloads (dialling it): the bar transmission-agent.ts must reach. */
export const pair = debianPair('transmission→libtorrent', () => new TransmissionClient(), () => new LibtorrentClient(), 'direct')
