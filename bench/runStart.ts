/**
 * How long a run started from VS Code takes to start, as the extension starts it (extension/vscode/
 * runSession.ts: `fork(dist/cli.js, ['record', '--ipc', …])`, or a warm supervisor forked ahead of
 * time, `serve --ipc`, sent a `run` message): from the moment the run is asked for to the script's
 * first line (bench/first_line.py prints the wall clock there) and to the host receiving the run's
 * first event from the script's process (its `hello`). Against the plain interpreter started
 * directly: its first line. Rounds interleave plain, cold and warm.
 */

import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FromSupervisor, ToSupervisor } from '../core/protocol/supervisor';

const now = () => (performance.timeOrigin + performance.now()) / 1000; // wall clock, as Python's time.time()

function firstLine(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(Number(out.slice(0, nl)));
    });
    child.on('error', reject);
    child.on('exit', (code) => (code ? reject(new Error(`exited ${code}`)) : undefined));
  });
}

interface Timing {
  firstLine: number;
  firstEvent: number;
}

/** Times one supervised run from `t0`: its first line and its first event (the script's hello). */
function supervised(child: ChildProcess, t0: number): Promise<Timing> {
  const line = firstLine(child);
  const event = new Promise<number>((resolve) => {
    child.on('message', (m: FromSupervisor) => {
      if (m.type === 'records' && m.records.some((r) => r[0] === 'hello')) resolve(now());
    });
  });
  const ended = new Promise<void>((resolve) => child.on('message', (m: FromSupervisor) => m.type === 'end' && resolve()));
  return Promise.all([line, event, ended]).then(([l, e]) => ({ firstLine: l - t0, firstEvent: e - t0 }));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function measureRunStart(
  cli: string,
  python: string,
  rounds = 15,
): Promise<{
  rounds: number;
  plainFirstLineMs: number;
  cold: { firstLineMs: number; firstEventMs: number };
  warm: { firstLineMs: number; firstEventMs: number };
}> {
  const dir = path.join(__dirname, '..', '..', 'bench');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-runstart-'));
  const argv = (i: number) => [
    'record',
    '--ipc',
    '--quiet',
    '--out',
    path.join(work, `r${i}.forkscope`),
    '--python',
    python,
    '--',
    'first_line.py',
  ];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_OPTIONS' && k !== 'NODE_EXTRA_CA_CERTS') env[k] = v;
  const stdio: ['ignore', 'pipe', 'pipe', 'ipc'] = ['ignore', 'pipe', 'pipe', 'ipc'];
  const plain: number[] = [];
  const cold: Timing[] = [];
  const warm: Timing[] = [];
  try {
    for (let i = -1; i < rounds; i++) {
      // plain
      let t0 = now();
      const p = spawn(python, ['first_line.py'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
      const pl = (await firstLine(p)) - t0;
      await new Promise((r) => p.once('close', r));
      // cold: forked when the run is asked for
      t0 = now();
      const c = fork(cli, argv(i), { cwd: dir, env, stdio, execArgv: [] });
      const ct = await supervised(c, t0);
      // warm: forked ahead, then asked
      const w = fork(cli, ['serve', '--ipc'], { env, stdio, execArgv: [] });
      await new Promise((r) => setTimeout(r, 500));
      t0 = now();
      w.send({ type: 'run', argv: argv(i), cwd: dir, env } satisfies ToSupervisor);
      const wt = await supervised(w, t0);
      if (i >= 0) {
        plain.push(pl);
        cold.push(ct);
        warm.push(wt);
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const ms = (x: number) => +(x * 1000).toFixed(1);
  return {
    rounds,
    plainFirstLineMs: ms(median(plain)),
    cold: { firstLineMs: ms(median(cold.map((x) => x.firstLine))), firstEventMs: ms(median(cold.map((x) => x.firstEvent))) },
    warm: { firstLineMs: ms(median(warm.map((x) => x.firstLine))), firstEventMs: ms(median(warm.map((x) => x.firstEvent))) },
  };
}
