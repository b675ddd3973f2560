/**
 * node:child_process, loaded on first use. Loading it costs a few milliseconds that every `forkscope record`
 * would pay before its supervisor is ready, and a run the shell launcher started (launch.ts, adoptEarly)
 * usually needs it for nothing: the supervisor only starts a program to ask an interpreter something.
 */
export function childProcess(): typeof import('node:child_process') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:child_process') as typeof import('node:child_process');
}
