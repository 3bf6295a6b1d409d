// The seedpay daemon's dashboard: one ES module, no framework, nothing from the internet. It listens to the
// daemon's server-sent events (/api/v1/events: a snapshot every second) and redraws; the swarm of the selected
// torrent is fetched with each snapshot. Every value from the daemon is put in the page as text, never as HTML.

const $ = (id) => document.getElementById(id)
const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f']
const MIB = 1048576

let selected = null
/** info hash → Array<[ms, BTT earned]> built from /api/v1/history and then from each snapshot */
const earnedSeries = new Map()
/** Whether the daemon charges (its earnings are charted in BTT, else bytes uploaded in MiB). */
let charging = false
/** Each torrent's price, BTT per MiB (torrents are priced one by one). */
const prices = new Map()

function bytes (n) {
  const v = Number(n)
  if (v < 1024) return `${v} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let x = v / 1024
  let i = 0
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i++ }
  return `${x.toFixed(x < 10 ? 2 : 1)} ${units[i]}`
}
/** A BTT decimal string as a person reads it: at most 6 decimals (the API keeps all 18). */
const btt = (s) => `${Number(s).toLocaleString('en-US', { maximumFractionDigits: 6, useGrouping: false })} BTT`
const short = (hex) => (typeof hex === 'string' && hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : String(hex ?? ''))
const when = (ms) => new Date(ms).toLocaleTimeString()

function el (tag, text, cls) {
  const e = document.createElement(tag)
  if (text !== undefined && text !== null) e.textContent = String(text)
  if (cls !== undefined) e.className = cls
  return e
}

function row (cells, cls) {
  const tr = el('tr', undefined, cls)
  for (const c of cells) {
    if (c instanceof Node) { const td = el('td'); td.append(c); tr.append(td) } else tr.append(el('td', c))
  }
  return tr
}

function fill (tableId, rows, empty) {
  const body = $(tableId).querySelector('tbody')
  body.replaceChildren(...(rows.length > 0 ? rows : [row([empty])]))
}

function card (k, v, cls) {
  const d = el('div', undefined, `card${cls ? ` ${cls}` : ''}`)
  d.append(el('div', k, 'k'), el('div', v, 'v'))
  return d
}

/** A line chart of several series ([ms, value]) as inline SVG, scaled to the data. */
function chart (target, legend, series) {
  const w = 600
  const h = 160
  const all = [...series.values()].flat()
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`)
  svg.setAttribute('preserveAspectRatio', 'none')
  legend.replaceChildren()
  if (all.length > 0) {
    const t0 = Math.min(...all.map(p => p[0]))
    const t1 = Math.max(...all.map(p => p[0]), t0 + 1)
    const top = Math.max(...all.map(p => p[1]), 1e-18)
    let i = 0
    for (const [name, points] of series) {
      const color = COLORS[i++ % COLORS.length]
      const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline')
      line.setAttribute('fill', 'none')
      line.setAttribute('stroke', color)
      line.setAttribute('stroke-width', '2')
      line.setAttribute('vector-effect', 'non-scaling-stroke')
      line.setAttribute('points', points.map(([t, v]) => `${((t - t0) / (t1 - t0) * w).toFixed(1)},${(h - 4 - v / top * (h - 8)).toFixed(1)}`).join(' '))
      svg.append(line)
      const li = el('li', `${name} ${points.at(-1)[1].toPrecision(4)}`)
      li.style.setProperty('--c', color)
      legend.append(li)
    }
  }
  target.replaceChildren(svg)
}

function render (s) {
  const { status, torrents, payments } = s
  $('listen').textContent = `peers connect to ${status.listen} · ${status.charging ? 'charging paying peers' : 'seeding for free'}`
  const cards = [
    card('torrents seeding', `${status.seeding} of ${status.torrents}`),
    card('peers', status.peers),
    card('uploaded', bytes(status.uploaded)),
    card('upload rate', `${bytes(status.uploadRate)}/s`)
  ]
  if (payments !== null) {
    const t = payments.totals
    cards.push(card('earned', btt(t.earned)), card('unsettled', btt(t.unsettled)), card('at risk', btt(t.atRisk), Number(t.atRisk) > 0 ? 'risk' : undefined), card('lanes for us', btt(t.lanes)))
  }
  $('summary').replaceChildren(...cards)

  fill('torrents', torrents.map(t => {
    if (t.pricePerMiB !== null) prices.set(t.infoHash, Number(t.pricePerMiB))
    const tr = row([t.name, t.state === 'error' ? `error: ${t.error}` : t.state, bytes(t.length), t.pricePerMiB === null ? 'free' : `${t.pricePerMiB} BTT/MiB`, t.peers, bytes(t.uploaded), t.paid ? bytes(t.paidBytes) : '', t.paid ? btt(t.earned) : '', `${bytes(t.uploadRate)}/s`], t.infoHash === selected ? 'selected' : undefined)
    tr.children[1].className = `state-${t.state}`
    tr.dataset.hash = t.infoHash
    tr.addEventListener('click', () => { selected = t.infoHash; $('swarm-title').textContent = `Swarm of ${t.name}`; refreshSwarm() })
    return tr
  }), 'no torrents yet: `seedpay add <file.torrent> --data <path>`')

  $('payments').hidden = payments === null
  $('payer-figure').hidden = payments === null
  $('caption-torrents').textContent = payments === null ? 'per torrent (MiB uploaded)' : 'per torrent (BTT)'
  if (payments !== null) {
    charging = true
    $('earned-note').textContent = `at ${payments.pricePerMiB} BTT/MiB unless a torrent has its own price, on ${payments.network}, as ${payments.account}`
    fill('payers', payments.payers.map(p => row([el('code', short(p.payer)), bytes(p.bytes), btt(p.held), btt(p.settled), btt(p.unsettled), btt(p.lane), btt(p.atRisk)])), 'no payer yet')
    fill('settlements', payments.settlements.map(x => row([when(x.updatedAt), el('code', short(x.payer)), x.status, btt(x.paid ?? x.amount), x.fee === null ? '' : `${Number(x.fee).toPrecision(3)} ${x.feeCoin}`, el('code', x.txId ?? '')])), 'none yet')
    const perPayer = new Map(Object.entries(payments.earnings).map(([payer, pts]) => [short(payer), pts]))
    chart($('chart-payers'), $('legend-payers'), perPayer)
  } else {
    $('earned-note').textContent = 'this daemon seeds for free: bytes uploaded are shown instead'
  }
  for (const t of torrents) {
    const series = earnedSeries.get(t.infoHash) ?? []
    series.push([s.time, value(t.infoHash, t.paidBytes, t.uploaded)])
    if (series.length > 1800) series.shift()
    earnedSeries.set(t.infoHash, series)
  }
  chart($('chart-torrents'), $('legend-torrents'), new Map(torrents.map(t => [t.name, earnedSeries.get(t.infoHash)])))
  if (selected !== null) refreshSwarm()
}

/** BTT earned by a torrent (paid bytes at its price), or MiB uploaded when the daemon is free. */
function value (hash, paidBytes, uploaded) {
  return charging ? paidBytes / MIB * (prices.get(hash) ?? 0) : uploaded / MIB
}

async function refreshSwarm () {
  if (selected === null) return
  const res = await fetch(`/api/v1/torrents/${selected}/peers`)
  if (!res.ok) return
  const { peers } = await res.json()
  $('swarm').hidden = false
  fill('peers', peers.map(p => row([el('code', short(p.id)), p.address, p.payer === null ? 'no' : short(p.payer), `${bytes(p.downloadRate)}/s`, `${bytes(p.uploadRate)}/s`, p.seed ? 'seed' : p.choked ? 'choked' : 'served'])), 'no peers')
}

async function start () {
  // what was served before this page opened, so the charts start with the daemon, not with the page
  const h = await fetch('/api/v1/history')
  if (h.ok) {
    const { samples } = await h.json()
    const pay = await (await fetch('/api/v1/payments')).json()
    charging = pay.charging === true
    const { torrents } = await (await fetch('/api/v1/torrents')).json()
    for (const t of torrents) if (t.pricePerMiB !== null) prices.set(t.infoHash, Number(t.pricePerMiB))
    for (const s of samples) {
      for (const hash of Object.keys(s.uploaded)) {
        const series = earnedSeries.get(hash) ?? []
        series.push([s.t, value(hash, s.paid[hash], s.uploaded[hash])])
        earnedSeries.set(hash, series)
      }
    }
  }
  const events = new EventSource('/api/v1/events')
  events.addEventListener('open', () => { $('conn').textContent = 'live'; $('conn').className = 'pill live' })
  events.addEventListener('error', () => { $('conn').textContent = 'reconnecting…'; $('conn').className = 'pill down' })
  events.addEventListener('snapshot', (e) => { render(JSON.parse(e.data)) })
}

start().catch((err) => { $('conn').textContent = `error: ${err.message}`; $('conn').className = 'pill down' })
