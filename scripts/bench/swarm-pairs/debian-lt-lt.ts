import { LibtorrentClient } from '../../../devtools/clients/index.ts'
import { debianPair, libtorrentProcess } from './debian-common.ts'

/** python3-libtorrent seeds → python3-libtorrent downloads, dialling the seeder directly. The reference ceiling. */
export const pair = {
  ...debianPair('libtorrent→libtorrent', () => new LibtorrentClient(), () => new LibtorrentClient(), 'direct'),
  runProcess: libtorrentProcess(() => new LibtorrentClient())
}
