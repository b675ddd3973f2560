/**
 * How a run in a terminal ends for the person who started it, in `record` (cliRecord.ts) and in the warm
 * supervisor (warm.ts), which the command's process relays the terminal to: the answers to Ctrl-C and SIGTERM or
 * SIGHUP, and the lines said on stderr at the end.
 */

import * as path from 'node:path';
import type { RunResult, RunSupervisor } from './supervisor';

/**
 * How a run answers a terminal's Ctrl-C (`onInt`) and SIGTERM or SIGHUP (`onTerm`), in record() and, relayed by
 * the command's process, in the warm supervisor (warm.ts). Ctrl-C reaches the script's process group too: it gets
 * 2 s to end by itself, then the interrupt is passed on, then the tree is stopped. A second Ctrl-C stops at once.
 * SIGTERM and SIGHUP stop at once.
 */
export function interruptions(supervisor: RunSupervisor): { onInt: () => void; onTerm: () => void } {
  let interrupts = 0;
  const onInt = () => {
    interrupts++;
    supervisor.markStopped(); // whatever outlives the script's own handling of Ctrl-C is stopped
    if (interrupts > 1) {
      void supervisor.stop();
      return;
    }
    setTimeout(() => {
      if (!supervisor.mainRunning) return;
      supervisor.signalMain('SIGINT');
      setTimeout(() => supervisor.mainRunning && void supervisor.stop(), 3000).unref();
    }, 2000).unref(); // time for the script's own cleanup (atexit, finalizers) before a second interrupt
  };
  return { onInt, onTerm: () => void supervisor.stop() };
}

/**
 * What a terminal's run says on stderr at its end: why nothing was recorded (always), else the `recorded …`
 * line when `saying` (a terminal, and not --quiet).
 */
export function endLines(result: RunResult, cwd: string, saying: boolean): string[] {
  const unsupported = result.model.warnings.find((w) => w.kind === 'python-unsupported');
  if (result.launchError) return [`forkscope: ${result.launchError}`];
  if (unsupported) return [`forkscope: ${unsupported.message}`];
  if (!saying) return [];
  const where = path.relative(cwd, result.recording) || result.recording;
  return [`forkscope: recorded ${result.summary.run.processes} processes, ${result.summary.run.messages} messages → ${where}`];
}
