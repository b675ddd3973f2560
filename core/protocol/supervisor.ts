/**
 * The supervisor IPC protocol: the messages between `forkscope record --ipc`
 * (extension/runtime/cli.ts, a Node child of the extension host) and the
 * extension's run session (extension/vscode/runSession.ts), over Node's
 * `fork()` channel. Both ends import these types, so a change shows on both.
 */

import type { RecordingHeader, RecordLine } from '../model/recording';
import type { Summary } from '../summary/summary';

/** How a supervised run ended, as the supervisor reports it. */
export interface SupervisorResult {
  exitCode: number | null;
  signal: string | null;
  stopped: boolean;
  /** Path of the recording file. */
  recording: string;
  launchError: string | null;
  summary: Summary | null;
}

/** Supervisor → host: the recording's header, first, so the host can reduce records without reading the file. */
export interface SupervisorHeaderMessage {
  type: 'header';
  header: RecordingHeader;
}

/** Supervisor → host: records since the last message, in file order (batches at most every 50 ms; the first at once). */
export interface SupervisorRecordsMessage {
  type: 'records';
  records: RecordLine[];
}

/** Supervisor → host: the run ended; the last message before the supervisor lets go of the channel. */
export interface SupervisorEndMessage {
  type: 'end';
  result: SupervisorResult;
}

/** Every message the supervisor sends. */
export type FromSupervisor = SupervisorHeaderMessage | SupervisorRecordsMessage | SupervisorEndMessage;

/** Host → supervisor: stop the run (the script's whole process tree). */
export interface SupervisorStopMessage {
  type: 'stop';
}

/**
 * Host → a warm supervisor (`forkscope serve --ipc`, forked ahead of time): run this, as if it had
 * been forked with `argv` (`record --ipc …`) in `cwd` with `env` as its whole environment. Sent once;
 * the supervisor then behaves exactly as a freshly forked one.
 */
export interface SupervisorRunMessage {
  type: 'run';
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

/** Every message the host sends. */
export type ToSupervisor = SupervisorStopMessage | SupervisorRunMessage;
