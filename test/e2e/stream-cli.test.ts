/**
 * `seedpay stream`: a real `seedpay` process downloads from a seed over TCP and serves one file over HTTP while it
 * downloads; curl (Range requests) and ffprobe (a real video made with ffmpeg) read it. The seed serves slowly, so
 * a range near the end is answered long before the download is over: the picker's deadline mode at work.
 */
import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { join } from 'node:path'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import { SeedpayChild } from '../../devtools/seedpay-child.ts'
import { createTorrentFile, parseTorrentBuffer, type TorrentEngine, type TorrentMeta, type UploadPolicy } from '../../agent/swarm/index.ts'
import { engine } from '../agent/swarm/fixtures.ts'
import { runSeedpay } from '../helpers/cli.ts'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'

const run = promisify(execFile)
const PIECE = 64 * 1024

/** Serves `perTick` more blocks every 50 ms: a slow seed, so what a reader asks for first visibly comes first. */
function trickle (perTick: number): { policy: UploadPolicy, count: () => void, served: () => number, start: (e: TorrentEngine) => void, stop: () => void, open: () => void } {
  let served = 0
  let opened = false
  let limit = perTick
  let timer: NodeJS.Timeout | null = null
  return {
    policy: { canServe: () => opened || served < limit, priority: () => 0 },
    count: () => { served++ },
    served: () => served,
    start: e => { timer = setInterval(() => { limit += perTick; e.rechoke() }, 50) },
    stop: () => { if (timer !== null) clearInterval(timer) },
    open: () => { opened = true }
  }
}

async function curl (args: string[]): Promise<{ status: number, headers: Record<string, string>, body: Buffer }> {
  const { stdout } = await run('curl', ['-s', '-D', '-', '--max-time', '30', ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })
  const split = stdout.indexOf('\r\n\r\n')
  const head = stdout.subarray(0, split).toString('latin1').split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of head.slice(1)) { const i = line.indexOf(':'); headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim() }
  return { status: Number(head[0]!.split(' ')[1]), headers, body: stdout.subarray(split + 4) }
}

describe('seedpay stream: a file over HTTP while it downloads', function () {
  this.timeout(120_000)
  let root = ''
  let meta: TorrentMeta
  let torrentPath = ''
  let video: Buffer
  let big: Buffer
  const children: SeedpayChild[] = []
  const engines: TorrentEngine[] = []
  const stops: Array<() => void> = []

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'seedpay-stream-'))
    const dir = join(root, 'seed', 'show')
    await mkdir(dir, { recursive: true })
    // 4 s of a test pattern with a tone: a real MP4 (moov at the front, as players stream it)
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=4:size=160x120:rate=10', '-f', 'lavfi', '-i', 'sine=duration=4',
      '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart', join(dir, 'clip.mp4')])
    video = await readFile(join(dir, 'clip.mp4'))
    big = randomBytes(8 * 1024 * 1024)
    await writeFile(join(dir, 'big.bin'), big)
    const torrent = await createTorrentFile(dir, { pieceLength: PIECE })
    meta = await parseTorrentBuffer(torrent)
    torrentPath = join(root, 'show.torrent')
    await writeFile(torrentPath, torrent)
  })
  afterEach(async () => {
    for (const s of stops.splice(0)) s()
    await Promise.all(children.splice(0).map(async c => await c.kill()))
    await Promise.all(engines.splice(0).map(async e => await e.stop()))
  })
  after(async () => { await rm(root, { recursive: true, force: true }) })

  async function seedAndStream (perTick: number, args: string[]): Promise<{ url: string, child: SeedpayChild, served: () => number, open: () => void }> {
    const t = trickle(perTick)
    const seed = engine(meta, join(root, 'seed'), { uploadPolicy: t.policy })
    engines.push(seed)
    seed.on('block:uploaded', t.count)
    await seed.start()
    t.start(seed)
    stops.push(t.stop)
    const child = new SeedpayChild(['stream', torrentPath, '--out', join(root, `out-${children.length}`), '--peer', seed.address, '--http-port', '0', ...args])
    children.push(child)
    const streaming = await child.next('streaming')
    return { url: String(streaming['url']), child, served: t.served, open: () => { t.open(); seed.rechoke() } }
  }

  it('answers a range near the end of the largest file with 206 long before the download is done, then the whole file, HEAD, 416 and 404', async () => {
    const total = meta.length / 16384
    const { url, child, served, open } = await seedAndStream(2, [])
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/big\.bin$/)
    const from = big.length - 300_000
    const tail = await curl(['-r', `${from}-${big.length - 1}`, url])
    expect(tail.status).to.equal(206)
    expect(tail.headers['content-range']).to.equal(`bytes ${from}-${big.length - 1}/${big.length}`)
    expect(tail.headers['accept-ranges']).to.equal('bytes')
    expect(tail.body.equals(big.subarray(from))).to.equal(true)
    // the end came first: most of the torrent had not even been sent yet
    expect(served()).to.be.below(total / 2)
    const past = await curl(['-r', `${big.length}-`, url])
    expect(past.status).to.equal(416)
    expect(past.headers['content-range']).to.equal(`bytes */${big.length}`)
    const head = await curl(['-I', url])
    expect(head.status).to.equal(200)
    expect(head.headers['content-length']).to.equal(String(big.length))
    expect((await curl([url.replace(/big\.bin$/, 'nothing-here')])).status).to.equal(404)
    open()
    // several ranges: the whole file (RFC 9110 lets a server ignore Range; players ask for one)
    const two = await curl(['-r', '0-9,100-109', url])
    expect(two.status).to.equal(200)
    expect(two.body.equals(big)).to.equal(true)
    await child.next('done')
    expect(await child.stop()).to.equal(0)
  })

  it('serves a real video that ffprobe reads while it downloads (--file 1), and a client hanging up mid-stream stops nothing', async () => {
    const index = meta.files.findIndex(f => f.path.endsWith('clip.mp4'))
    const { url, child } = await seedAndStream(16, ['--file', String(index)])
    expect(url).to.match(/\/clip\.mp4$/)
    // a client that hangs up after its first bytes
    await new Promise<void>((resolve, reject) => {
      const req = request(url, res => {
        expect(res.headers['content-type']).to.equal('video/mp4')
        res.once('data', () => { req.destroy(); resolve() })
      })
      req.on('error', err => { if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err) })
      req.end()
    })
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', url])
    const probe = JSON.parse(stdout) as { format: { duration: string }, streams: Array<{ codec_name: string }> }
    expect(Number(probe.format.duration)).to.be.closeTo(4, 0.2)
    expect(probe.streams.map(s => s.codec_name).sort()).to.deep.equal(['aac', 'h264'])
    const whole = await curl([url])
    expect(whole.body.equals(video)).to.equal(true)
    await child.next('done')
    expect(await child.stop()).to.equal(0)
  })

  it('refuses a file index the torrent does not have, and a busy --http-port, in one line with exit 2', async () => {
    const bad = await runSeedpay(['stream', torrentPath, '--out', join(root, 'bad'), '--file', '5'])
    expect(bad.code, bad.stderr).to.equal(2)
    expect(bad.stderr).to.match(/^error: --file 5: the torrent has 2 files \(0–1\)/)
    expect(bad.stderr).to.not.match(/\n\s+at /)
    const { url } = await seedAndStream(64, [])
    const port = new URL(url).port
    const busy = await runSeedpay(['stream', torrentPath, '--out', join(root, 'busy'), '--http-port', port])
    expect(busy.code, busy.stderr).to.equal(2)
    expect(busy.stderr).to.match(/--http-port \d+ on 127\.0\.0\.1 is already in use/)
  })
})
