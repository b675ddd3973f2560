/**
 * `forkscope record` and `serve` (docs/cli.md): the verbs that run a script under the supervisor. They are
 * the CLI's hot path, so they are a bundle of their own (dist/cli-record.js, built from this file): a run
 * loads only what recording needs, not the readers of finished recordings (summary, report, export,
 * compare: cli.ts, dist/cli-main.js). Node compiles the whole bundle it loads at every start, and this
 * one is a fifth smaller (docs/cli.md, "How a run starts").
 *
 * `record --ipc` is the mode the VS Code extension forks: live records go to
 * the parent over IPC, and a `stop` message stops the run. The script's stdin,
 * stdout and stderr are this process's own, so they outlive this process.
 * `serve --ipc` is the same supervisor forked ahead of time (warm): it waits for
 * one `run` message, then is `record --ipc` with that message's arguments.
 * `serve --warm SOCKET` is this user's warm supervisor for the terminal (warm.ts).
 */

import * as os from 'node:os';
import * as path from 'node:path';
import type { RecordLine } from '../../core/model/recording';
import type { FromSupervisor, SupervisorRunMessage, ToSupervisor } from '../../core/protocol/supervisor';
import { endOnError } from './cliUsage';
import { planRecord, type EarlyStart } from './launch';
import { UsageError } from './recordArgs';
import { RunSupervisor } from './supervisor';
import { endLines, interruptions } from './terminalRun';
import { leaveWarm, serveWarm, WARM_IDLE_SECONDS } from './warm';

/** Runs `record ARGS…` or `serve ARGS…` (`early`: the script dist/cli.js already started) and returns the exit status. */
export async function main(argv: string[], early: EarlyStart | null = null): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'serve') return await serve(rest);
    if (command === 'record') return await record(rest, early);
    throw new UsageError(`${String(command)} is not a verb of this bundle (record, serve)`);
  } catch (e) {
    const code = endOnError(e, command);
    if (code === null) throw e;
    return code;
  }
}

/**
 * `serve --ipc`: a warm supervisor. Node has started and this bundle is loaded; the run starts the
 * moment its `run` message arrives (Node's start, ~40-100 ms, is off the run's critical path). The
 * host's going away before that ends it quietly.
 */
async function serve(argv: string[]): Promise<number> {
  if (argv[0] === '--warm' && argv.length === 2 && path.isAbsolute(argv[1])) {
    const idle = Number(process.env.FORKSCOPE_WARM_IDLE);
    return serveWarm(argv[1], Number.isFinite(idle) && idle > 0 ? idle : WARM_IDLE_SECONDS);
  }
  if (!argv.includes('--ipc') || typeof process.send !== 'function')
    throw new UsageError(
      'serve is started by Forkscope itself: by the VS Code extension, with an IPC channel (serve --ipc), and by a cold `forkscope record` in a terminal (serve --warm /absolute/path/warm.sock; docs/cli.md, "The warm supervisor").',
    );
  const request = await new Promise<SupervisorRunMessage | null>((resolve) => {
    const onMessage = (m: Partial<ToSupervisor> | null) => {
      if (!m || m.type !== 'run' || !Array.isArray(m.argv) || typeof m.cwd !== 'string' || !m.env || typeof m.env !== 'object') return;
      process.off('message', onMessage);
      process.off('disconnect', onGone);
      resolve(m as SupervisorRunMessage);
    };
    const onGone = () => {
      process.off('message', onMessage);
      resolve(null);
    };
    process.on('message', onMessage);
    process.once('disconnect', onGone);
  });
  if (!request) return 0;
  process.chdir(request.cwd);
  for (const k of Object.keys(process.env)) if (!(k in request.env)) delete process.env[k];
  Object.assign(process.env, request.env);
  if (request.argv[0] !== 'record' || !request.argv.includes('--ipc'))
    throw new UsageError('a warm supervisor runs `record --ipc …` only.');
  return record(request.argv.slice(1));
}

/**
 * `record`: `early` is the script dist/cli.js already started before this
 * module loaded (launch.ts, startEarly), with the plan it made for it.
 */
async function record(argv: string[], early: EarlyStart | null = null): Promise<number> {
  const cwd = process.cwd();
  const { args: a, ipc, options } = early?.plan ?? (await planRecord(argv, process.env, cwd));
  const saying = !a.quiet && !ipc && process.stderr.isTTY;

  let pendingRecords: RecordLine[] = [];
  let flushTimer: NodeJS.Timeout | null = null;
  let lastSent = 0; // batches leave at most every 50 ms; the first at once (the host shows the run's start without delay)
  const send = (m: FromSupervisor) => {
    try {
      if (process.connected) process.send!(m);
    } catch {
      /* parent gone */
    }
  };
  const flushRecords = () => {
    flushTimer = null;
    if (!pendingRecords.length) return;
    send({ type: 'records', records: pendingRecords });
    pendingRecords = [];
    lastSent = performance.now();
  };

  if (ipc) {
    options.onRecord = (r) => {
      pendingRecords.push(r);
      if (!flushTimer) flushTimer = setTimeout(flushRecords, Math.max(0, 50 - (performance.now() - lastSent)));
    };
  }
  const supervisor = new RunSupervisor(options, early?.started ?? null);
  const onDisconnect = () => void supervisor.stop();
  if (ipc) {
    // The header first, so the parent can reduce records without reading the file.
    send({ type: 'header', header: supervisor.model.run.header });
    process.on('message', (m: Partial<ToSupervisor> | null) => {
      if (m && m.type === 'stop') void supervisor.stop();
    });
    // The extension host went away (VS Code closed, extension disabled): end the run rather than orphan it.
    process.on('disconnect', onDisconnect);
  }

  const { onInt, onTerm } = interruptions(supervisor);
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onTerm);
  early?.release();

  const result = await supervisor.run();
  if (flushTimer) clearTimeout(flushTimer);
  flushRecords();
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  process.off('SIGHUP', onTerm);

  // (The extension shows a launch error from the end message.)
  if (!ipc) for (const line of endLines(result, cwd, saying)) process.stderr.write(`${line}\n`);
  if (ipc) {
    send({
      type: 'end',
      result: {
        exitCode: result.exitCode,
        signal: result.signal,
        stopped: result.stopped,
        recording: result.recording,
        launchError: result.launchError,
        summary: result.summary,
      },
    });
    // Let the end message leave, then let go of the channel (an open IPC channel keeps this process alive).
    await new Promise((r) => setTimeout(r, 20));
    // Our own disconnect is no reason to stop anything: what the script left running stays running, as plainly.
    process.off('disconnect', onDisconnect);
    if (process.connected) process.disconnect();
  }
  // A cold run in a terminal leaves this user's warm supervisor for the next (warm.ts).
  if (early?.warmSocket && !result.launchError) leaveWarm(early.warmSocket);
  if (result.launchError) return 127;
  if (result.signal) {
    // End the way the script ended, so a shell sees the same status.
    process.removeAllListeners(result.signal);
    process.kill(process.pid, result.signal);
    await new Promise((r) => setTimeout(r, 1000));
    return 128 + (os_signal(result.signal) ?? 1);
  }
  return result.exitCode ?? 1;
}

function os_signal(sig: NodeJS.Signals): number | undefined {
  return os.constants.signals[sig];
}
