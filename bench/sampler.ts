/**
 * Sampler cost benchmark: N real live processes sampled every `intervalMs`
 * (pidusage + /proc/<pid>/stat), as the supervisor does; reports the
 * supervisor's CPU time as a share of one core.
 */

import { spawn } from 'node:child_process';
import { ProcessSampler } from '../extension/runtime/sampler';

export async function measureSampler(
  processes = 200,
  intervalMs = 100,
  seconds = 10,
): Promise<{ processes: number; intervalMs: number; samples: number; cpuShareOfOneCore: number; meanSampleMs: number }> {
  const children = Array.from({ length: processes }, () => spawn('sleep', ['120'], { stdio: 'ignore' }));
  await new Promise((r) => setTimeout(r, 500));
  const pids = children.map((c) => c.pid!).filter(Boolean);
  const sampler = new ProcessSampler();
  await sampler.sample(pids); // warm: descriptors opened, clock tick known
  let samples = 0;
  let sampleTime = 0;
  const cpu0 = process.cpuUsage();
  const wall0 = Date.now();
  try {
    await new Promise<void>((resolve) => {
      const timer = setInterval(async () => {
        const s0 = performance.now();
        const rows = await sampler.sample(pids);
        sampleTime += performance.now() - s0;
        if (rows.length) samples++;
        if (Date.now() - wall0 >= seconds * 1000) {
          clearInterval(timer);
          resolve();
        }
      }, intervalMs);
    });
  } finally {
    for (const c of children) c.kill('SIGKILL');
    sampler.close();
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = (Date.now() - wall0) / 1000;
  return {
    processes: pids.length,
    intervalMs,
    samples,
    cpuShareOfOneCore: (cpu.user + cpu.system) / 1e6 / wall,
    meanSampleMs: sampleTime / Math.max(1, samples),
  };
}
