// Preload for benchmarks (`node --import <this file>?out=<path>`): measures the process's event-loop health and
// writes it as one JSON object to <path> when the process exits. Plain JavaScript because it runs before
// bin/seedpay.js registers tsx. What it reports:
// - lagMs: how late a 10 ms timer fires (perf_hooks' monitorEventLoopDelay less its resolution): p50, p99, max, mean;
// - utilization: the fraction of wall time the loop was busy (1 = saturated, nothing else gets a turn);
// - worstSecond: the highest per-second utilization seen, to tell a steady load from a stall;
// all three from the first `listening` event on (start-up compiles modules synchronously: not the loop's health);
// - gc: garbage-collection pauses (PerformanceObserver 'gc'): how many, their total and longest ms, how many
//   took over 5 ms and how many were full mark-compacts;
// - peakMiB: the highest of each process.memoryUsage() figure, sampled every second (rss, heapUsed, external,
//   arrayBuffers), to tell the JS heap from Buffers when RSS grows;
// - marks: the process's CPU time (user + system, ms) and RSS (MiB) when it first printed a `listening` and a
//   `done` JSON event line, so start-up and transfer can be told apart.
import { writeFileSync } from 'node:fs'
import { monitorEventLoopDelay, performance, PerformanceObserver, constants } from 'node:perf_hooks'

const out = new URL(import.meta.url).searchParams.get('out')
if (out !== null) {
  const RESOLUTION_MS = 10
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  delay.enable()
  let start = performance.eventLoopUtilization()
  let previous = start
  let worstSecond = 0
  const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization()
    worstSecond = Math.max(worstSecond, performance.eventLoopUtilization(now, previous).utilization)
    previous = now
    const m = process.memoryUsage()
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], Math.round(m[k] / 1048576))
  }, 1000)
  timer.unref()

  const gc = { count: 0, ms: 0, maxMs: 0, over5ms: 0, major: 0 }
  const observer = new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      gc.count++
      gc.ms += e.duration
      gc.maxMs = Math.max(gc.maxMs, e.duration)
      if (e.duration > 5) gc.over5ms++
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++
    }
  })
  observer.observe({ entryTypes: ['gc'] })

  const marks = {}
  const MARKED = /"event":"(listening|done)"/
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = (chunk, ...rest) => {
    const m = typeof chunk === 'string' ? MARKED.exec(chunk) : null
    if (m !== null && marks[m[1]] === undefined) {
      const cpu = process.cpuUsage()
      marks[m[1]] = { cpuMs: Math.round((cpu.user + cpu.system) / 1000), rssMiB: Math.round(process.memoryUsage.rss() / 1048576), atMs: Math.round(performance.now()) }
      if (m[1] === 'listening') {
        delay.reset()
        start = previous = performance.eventLoopUtilization()
        worstSecond = 0
        Object.assign(gc, { count: 0, ms: 0, maxMs: 0, over5ms: 0, major: 0 })
      }
    }
    return write(chunk, ...rest)
  }

  // The histogram holds whole intervals (resolution included); what is late is the rest.
  const ms = (ns) => Math.max(0, Math.round(ns / 1e4 - RESOLUTION_MS * 100) / 100)
  process.once('exit', () => {
    delay.disable()
    observer.disconnect()
    const total = performance.eventLoopUtilization(start)
    writeFileSync(out, JSON.stringify({
      lagMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) },
      utilization: Math.round(total.utilization * 1000) / 1000,
      worstSecond: Math.round(worstSecond * 1000) / 1000,
      seconds: Math.round((total.idle + total.active) / 10) / 100,
      gc: { ...gc, ms: Math.round(gc.ms), maxMs: Math.round(gc.maxMs * 10) / 10 },
      peakMiB: peak,
      marks
    }) + '\n')
  })
}
