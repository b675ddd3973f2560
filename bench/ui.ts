/**
 * `npm run bench:ui` (bundled to out/bench/ui.js by scripts/bench-ui.mjs):
 * the inspector on a generated (SYNTHETIC) recording of 1,000 processes and
 * 200,000 messages in headless Chromium.
 *
 * - first paint: navigation start → the first frame with the whole run drawn
 *   (the animation frame after the first complete timeline draw);
 * - pan/zoom: a wheel event every animation frame (zoom in, zoom out, pan,
 *   fully zoomed out and zoomed in); frame = the interval between animation
 *   frames while interacting, and the draw work per frame;
 * - memory: JS heap from the DevTools protocol;
 * - live: records posted to a live page through the protocol; time until the
 *   new message is drawn on the timeline and until the new process is in the tree.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderReport } from '../extension/runtime/report';
import { renderInspectorPage } from '../core/page/page';
import { syntheticRecording } from '../test/builders/syntheticRun';
import { T0 } from '../test/builders/runBuilder';
import { launch, waitForInspector } from '../test/browser/support/chromium';
import type { RecordLine } from '../core/model/recording';

const root = path.join(__dirname, '..', '..');
const PROCESSES = 1000;
const MESSAGES = 200_000;
const SECONDS = 30;

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(f * s.length))] : NaN);
  return { n: s.length, median: +q(0.5).toFixed(2), p95: +q(0.95).toFixed(2), max: +(s[s.length - 1] ?? NaN).toFixed(2) };
};

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-bench-ui-'));
  const bundle = fs.readFileSync(path.join(root, 'dist', 'webview.js'), 'utf8');
  const { header, records } = syntheticRecording({ processes: PROCESSES, messages: MESSAGES, seconds: SECONDS });
  const text = [JSON.stringify(header), ...records.map((r) => JSON.stringify(r))].join('\n') + '\n';
  const reportFile = path.join(work, 'report.html');
  fs.writeFileSync(reportFile, renderReport(text, bundle));
  const liveFile = path.join(work, 'live.html');
  fs.writeFileSync(liveFile, renderInspectorPage({ kind: 'standalone', bundle, recording: null, title: 'live' }));
  const results: Record<string, unknown> = {
    when: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadAverageAtStart: os.loadavg() },
    recording: {
      synthetic: true,
      processes: PROCESSES,
      messages: MESSAGES,
      seconds: SECONDS,
      sampleMs: header.sampleMs,
      records: records.length,
      bytes: Buffer.byteLength(text),
    },
    targets: { firstPaintMs: 1500, frameMs: 33, liveMs: 250 },
  };
  const browser = await launch(['--enable-precise-memory-info']);
  try {
    // First paint (best of 3 cold loads, each in a fresh tab).
    const paints: number[] = [];
    let page = await browser.newPage();
    for (let i = 0; i < 3; i++) {
      if (i > 0) {
        await page.close();
        page = await browser.newPage();
      }
      await page.goto(`file://${reportFile}`);
      await waitForInspector(page, 60_000);
      await page.waitForFunction(() => window.__forkscope!.inspector.firstPaintAt !== null);
      paints.push(await page.evaluate(() => window.__forkscope!.inspector.firstPaintAt!));
    }
    const phases = await page.evaluate(() => performance.getEntriesByType('measure').map((m) => [m.name, Math.round(m.duration)]));
    results.firstPaintMs = {
      runs: paints.map((p) => Math.round(p)),
      best: Math.round(Math.min(...paints)),
      median: Math.round(stats(paints).median),
      phases: Object.fromEntries(phases),
    };
    console.log(`first paint: ${paints.map((p) => Math.round(p)).join(', ')} ms (target ≤ 1500)`);

    // Pan and zoom: one wheel event per animation frame.
    const interact = async (label: string, steps: { dx: number; dy: number; ctrl: boolean; shift: boolean }[], prepare?: string) =>
      page
        .evaluate(
          async ({ steps, prepare }) => {
            const tl = window.__forkscope!.inspector.timeline;
            const canvas = document.getElementById('fs-timeline-canvas') as HTMLCanvasElement;
            const rect = canvas.getBoundingClientRect();
            if (prepare === 'fit') tl.fit();
            await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
            const intervals: number[] = [];
            const work: number[] = [];
            const arrows: number[] = [];
            let binned = 0;
            let last = performance.now();
            for (const s of steps) {
              const before = tl.frameTimes.length;
              canvas.dispatchEvent(
                new WheelEvent('wheel', {
                  deltaX: s.dx,
                  deltaY: s.dy,
                  ctrlKey: s.ctrl,
                  shiftKey: s.shift,
                  clientX: rect.left + rect.width * 0.6,
                  clientY: rect.top + rect.height / 2,
                  bubbles: true,
                  cancelable: true,
                }),
              );
              await new Promise((r) => requestAnimationFrame(r));
              const now = performance.now();
              intervals.push(now - last);
              last = now;
              if (tl.frameTimes.length > before) work.push(tl.frameTimes[tl.frameTimes.length - 1]);
              arrows.push(tl.lastFrame.arrows);
              if (tl.lastFrame.binned) binned++;
            }
            return { intervals, work, arrows, binned };
          },
          { steps, prepare },
        )
        .then((r) => {
          const res = {
            frameIntervalMs: stats(r.intervals.slice(1)),
            drawMs: stats(r.work),
            arrowsDrawn: stats(r.arrows),
            binnedFrames: r.binned,
            frames: r.intervals.length,
          };
          console.log(
            `${label}: frame interval median ${res.frameIntervalMs.median} ms, p95 ${res.frameIntervalMs.p95} ms, max ${res.frameIntervalMs.max} ms; draw median ${res.drawMs.median} ms, p95 ${res.drawMs.p95} ms (target ≤ 33)`,
          );
          return res;
        });
    const zoomIn = Array.from({ length: 40 }, () => ({ dx: 0, dy: -60, ctrl: true, shift: false }));
    const zoomOut = Array.from({ length: 40 }, () => ({ dx: 0, dy: 60, ctrl: true, shift: false }));
    const pan = Array.from({ length: 60 }, (_, i) => ({ dx: i % 20 < 10 ? 80 : -80, dy: 0, ctrl: false, shift: false }));
    const scroll = Array.from({ length: 40 }, (_, i) => ({ dx: 0, dy: i < 20 ? 120 : -120, ctrl: false, shift: false }));
    results.zoomIn = await interact('zoom in from the whole run', zoomIn, 'fit');
    results.pan = await interact('pan (zoomed in)', pan);
    results.zoomOut = await interact('zoom out to the whole run', zoomOut);
    results.panWholeRun = await interact('pan (whole run, all arrows bundled)', pan, 'fit');
    results.scrollLanes = await interact('scroll lanes', scroll, 'fit');

    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = (await cdp.send('Performance.getMetrics')).metrics;
    const metric = (n: string) => metrics.find((m) => m.name === n)?.value ?? null;
    const heap = await page.evaluate(
      () => (performance as unknown as { memory?: { usedJSHeapSize: number; totalJSHeapSize: number } }).memory ?? null,
    );
    results.memory = {
      jsHeapUsedBytes: metric('JSHeapUsedSize'),
      jsHeapTotalBytes: metric('JSHeapTotalSize'),
      nodes: metric('Nodes'),
      performanceMemory: heap,
    };
    console.log(
      `memory: JS heap ${((metric('JSHeapUsedSize') ?? 0) / 1048576).toFixed(0)} MiB used of ${((metric('JSHeapTotalSize') ?? 0) / 1048576).toFixed(0)} MiB; ${metric('Nodes')} DOM nodes`,
    );
    await page.close();

    // Live: a page fed through the protocol.
    const live = await browser.newPage();
    await live.goto(`file://${liveFile}`);
    const cut = Math.floor(records.length * 0.8);
    const endAt = records.findIndex((r) => r[0] === 'exited' || r[0] === 'end');
    const body = records.slice(0, Math.min(cut, endAt < 0 ? cut : endAt));
    await live.evaluate(({ header, records }) => window.postMessage({ type: 'init', header, records, live: true, title: 'live' }, '*'), {
      header,
      records: body as RecordLine[],
    });
    await waitForInspector(live, 60_000);
    const lastT = (body[body.length - 1] as RecordLine)[0] === 'ev' ? SECONDS * 0.8 : SECONDS * 0.8;
    const probes: { drawn: number; tree: number }[] = [];
    for (let i = 0; i < 20; i++) {
      const pid = 900_000 + i;
      const t = T0 + lastT + i * 0.05;
      const recs: RecordLine[] = [
        ['hello', t, pid, 1000],
        [
          'ev',
          pid,
          [
            ['proc', t, { pid, ppid: 1000, key: `1000:x${i}`, name: `LiveProbe-${i}`, role: 'process', startMethod: 'fork' }],
            ['run', t, `1000:x${i}`],
          ],
        ],
        ['ev', 1000, [['m', t + 0.001, 'p1', pid, t, 64, null]]],
      ];
      const r = await live.evaluate(
        async ({ recs, pid }) => {
          const insp = window.__forkscope!.inspector;
          const v0 = insp.debugInfo().version;
          const t0 = performance.now();
          window.postMessage({ type: 'records', records: recs }, '*');
          let drawn = -1;
          let tree = -1;
          while (drawn < 0 || tree < 0) {
            await new Promise((r) => requestAnimationFrame(r));
            const now = performance.now();
            if (drawn < 0 && insp.timeline.lastFrame.version > v0) drawn = insp.timeline.lastFrame.at - t0;
            if (tree < 0 && document.querySelector(`#fs-tree [data-pid="${pid}"]`)) tree = now - t0;
            if (now - t0 > 5000) break;
          }
          return { drawn, tree };
        },
        { recs, pid },
      );
      probes.push(r);
      await live.waitForTimeout(40);
    }
    results.live = {
      drawnOnTimelineMs: stats(probes.map((p) => p.drawn)),
      inTreeMs: stats(probes.map((p) => p.tree)),
      note: 'from posting a records message to the page until drawn; add the runtime flush (20 ms) and the supervisor IPC batch (50 ms) for end-to-end',
    };
    const l = results.live as { drawnOnTimelineMs: { median: number; max: number }; inTreeMs: { median: number; max: number } };
    console.log(
      `live: record → timeline median ${l.drawnOnTimelineMs.median} ms, max ${l.drawnOnTimelineMs.max} ms; → tree median ${l.inTreeMs.median} ms, max ${l.inTreeMs.max} ms (target ≤ 250 incl. 70 ms runtime+IPC batching)`,
    );
    if (browser.blocked.length) throw new Error(`the page made requests: ${browser.blocked.join(', ')}`);
  } finally {
    await browser.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const load = os.loadavg();
  (results.machine as Record<string, unknown>).loadAverageAtEnd = load;
  if (Math.max(load[0], ...(results.machine as { loadAverageAtStart: number[] }).loadAverageAtStart.slice(0, 1)) > os.cpus().length) {
    console.log(
      `note: the machine was busy (load average ${load[0].toFixed(1)} on ${os.cpus().length} CPUs): the figures above are pessimistic.`,
    );
  }
  fs.mkdirSync(path.join(root, 'bench-results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench-results', 'ui.json'), JSON.stringify(results, null, 2) + '\n');
  console.log('written to bench-results/ui.json');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
