/** Signal names, one table for every place that words an exit (the model, the inspector, the text summary). */

/** Linux signal numbers (exit code -N under multiprocessing, N in the run's `exited` record). */
export const LINUX_SIGNALS: Readonly<Record<number, string>> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
  26: 'SIGVTALRM',
  27: 'SIGPROF',
  31: 'SIGSYS',
};

/** `SIGTERM` for 15; null for a number the table does not name. */
export function signalName(n: number): string | null {
  return LINUX_SIGNALS[n] ?? null;
}

const NUMBERS: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(LINUX_SIGNALS).map(([n, name]) => [name, Number(n)]));

/** 15 for `SIGTERM`; null for a name the table does not have. */
export function signalNumber(name: string): number | null {
  return NUMBERS[name] ?? null;
}
