/**
 * Supervisor ingest benchmark: real Unix-socket clients send runtime-shaped
 * event batches through the EventServer into the reducer and the recording
 * writer — the supervisor's hot path — and we count events per second of the
 * supervisor's own CPU time and of wall time.
 */

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunReducer } from '../core/model/reducer';
import { RECORDING_FORMAT, RECORDING_VERSION, type RecordingHeader } from '../core/model/recording';
import { EventServer } from '../extension/runtime/eventServer';
import { RecordingWriter } from '../extension/runtime/recordingWriter';

export async function measureIngest(
  totalEvents = 1_000_000,
  clients = 4,
  batch = 500,
): Promise<{ events: number; wallSeconds: number; cpuSeconds: number; eventsPerCpuSecond: number; eventsPerWallSecond: number }> {
  const t0 = Date.now() / 1000;
  const header: RecordingHeader = {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    startedAt: t0,
    script: 'bench',
    module: null,
    args: [],
    python: 'none',
    cwd: '/',
    cpuCount: os.cpus().length,
    sampleMs: 100,
    platform: process.platform,
    maxProcesses: 1000,
    forkscope: 'bench',
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-bench-'));
  const writer = new RecordingWriter(path.join(dir, 'bench.forkscope'), header);
  const reducer = new RunReducer(header);
  let received = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const server = await EventServer.listen({
    onHello: () => true,
    onBatch: (pid, events, raw) => {
      writer.writeBatch(pid, raw);
      reducer.apply(['ev', pid, events]);
      received += events.length;
      if (received >= totalEvents) done();
    },
    onBye: () => {},
    onRefused: () => {},
  });
  // A realistic mix: per-message detail, waits, counters, tasks.
  const line = (pid: number, k: number): string => {
    const t = t0 + k * 1e-6;
    const evs: unknown[] = [];
    for (let i = 0; i < batch; i++) {
      const r = i % 10;
      if (r < 6) evs.push(['m', t, 'p4242', pid + 1, t - 0.0001, 28, null]);
      else if (r === 6) evs.push(['w', t, 'queue.get', 'p4242', null]);
      else if (r === 7) evs.push(['we', t]);
      else if (r === 8) evs.push(['task', t, { pool: 'p77', job: 1, chunk: k, items: 4, tBegin: t - 0.01, ok: true }]);
      else
        evs.push([
          'ctr',
          t,
          {
            sent: { p4242: [k * 100 + i, (k * 100 + i) * 28] },
            recv: { [`p4242 ${pid + 1}`]: [k, k * 28, k * 0.0001, 0.001] },
            detail: k,
            dropped: 0,
          },
        ]);
    }
    return JSON.stringify(evs) + '\n';
  };
  // Pre-encode the traffic so that the clients' cost is not counted as the supervisor's.
  const perClient = Math.ceil(totalEvents / batch / clients);
  const payloads: string[] = [];
  for (let c = 0; c < clients; c++) {
    const parts = [JSON.stringify({ hello: 1, secret: server.secret, pid: 1000 + c, ppid: 1 }) + '\n'];
    for (let k = 0; k < perClient; k++) parts.push(line(1000 + c, k));
    payloads.push(parts.join(''));
  }
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  const sockets = payloads.map((p) => {
    const s = net.connect(server.socketPath, () => s.end(p));
    return s;
  });
  await finished;
  const wallSeconds = Number(process.hrtime.bigint() - wall0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  for (const s of sockets) s.destroy();
  writer.close();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    events: received,
    wallSeconds,
    cpuSeconds,
    eventsPerCpuSecond: received / cpuSeconds,
    eventsPerWallSecond: received / wallSeconds,
  };
}
