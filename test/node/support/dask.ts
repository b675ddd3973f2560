/**
 * A real dask.distributed cluster outside the recorded run, for the tests: Debian's `dask-scheduler`
 * and two `dask-worker`s (no nanny, so each worker's pid is the process started here) on 127.0.0.1,
 * free ports, stopped by pid (SIGTERM, then SIGKILL) whatever happens to the test.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { runCommand } from './run';

export const DEBIAN_PYTHON = '/usr/bin/python3';
const SCHEDULER = '/usr/bin/dask-scheduler';
const WORKER = '/usr/bin/dask-worker';

/** Why dask.distributed cannot run here, or null. */
export function daskMissing(): string | null {
  if (!fs.existsSync(DEBIAN_PYTHON)) return `no ${DEBIAN_PYTHON}`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', 'import distributed'], { encoding: 'utf8' });
  if (r.status !== 0) return `distributed cannot be imported by ${DEBIAN_PYTHON} (apt-get install python3-distributed)`;
  if (!fs.existsSync(SCHEDULER) || !fs.existsSync(WORKER)) return `no ${SCHEDULER} / ${WORKER} (python3-distributed)`;
  return null;
}

/** A port nothing listens on now (the OS's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ExternalCluster {
  address: string;
  schedulerPid: number;
  workerPids: number[];
  /** Runs a small Python snippet with a Client connected to the scheduler (not recorded); its stdout. */
  ask(code: string): Promise<string>;
  stop(): Promise<void>;
}

function stopChild(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return resolve();
    const kill = setTimeout(() => {
      try {
        process.kill(c.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    c.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    try {
      process.kill(c.pid, 'SIGTERM');
    } catch {
      clearTimeout(kill);
      resolve();
    }
  });
}

/** Starts a scheduler and two workers and waits until the scheduler lists both. */
export async function startExternalCluster(): Promise<ExternalCluster> {
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  const start = (cmd: string, args: string[]): ChildProcess => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
    c.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
    children.push(c);
    return c;
  };
  const stop = async () => {
    await Promise.all(children.map(stopChild));
  };
  try {
    const port = await freePort();
    const address = `tcp://127.0.0.1:${port}`;
    const scheduler = start(SCHEDULER, ['--host', '127.0.0.1', '--port', String(port), '--no-dashboard']);
    const workers = [0, 1].map((i) =>
      start(WORKER, [address, '--host', '127.0.0.1', '--nthreads', '1', '--no-nanny', '--no-dashboard', '--name', `w${i}`]),
    );
    const ask = async (code: string): Promise<string> => {
      const r = await runCommand(
        DEBIAN_PYTHON,
        [
          '-c',
          `import sys\nfrom distributed import Client\nwith Client(${JSON.stringify(address)}, timeout=60) as client:\n${code.replace(/^/gm, '    ')}\n`,
        ],
        { timeoutMs: 90_000 },
      );
      if (r.code !== 0) throw new Error(`asking the scheduler failed:\n${r.stderr}\n${logs.join('')}`);
      return r.stdout;
    };
    await ask('client.wait_for_workers(2, timeout=60)');
    return { address, schedulerPid: scheduler.pid!, workerPids: workers.map((w) => w.pid!), ask, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
