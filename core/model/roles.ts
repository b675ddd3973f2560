/**
 * The process roles, defined once, and the role groups every view and check
 * uses (helpers, servers, workers), so "helper" means one thing everywhere.
 */

/** Every role a process can have, in the runtime's words. */
export const ROLE_NAMES = [
  'main',
  'process',
  'pool-worker',
  'executor-worker',
  'manager',
  'forkserver',
  'resource-tracker',
  'fork',
  /** A Python interpreter started outside multiprocessing (subprocess, os.posix_spawn), recorded by its own runtime. */
  'subprocess',
  /** A program that is not Python (or a Python that could not load the runtime), seen only from outside. */
  'command',
  /** A dask.distributed worker process of this run (a LocalCluster's), linked by pid to its cluster's worker. */
  'dask-worker',
  /** A dask nanny that is a process of its own (a LocalCluster's nannies live in the client process). */
  'dask-nanny',
  /** Only the inspector's row for a remote dask scheduler (its workers are rows under it); never a recorded process. */
  'dask-scheduler',
] as const;

export type ProcessRole = (typeof ROLE_NAMES)[number];

/** The known roles, to check a role read from a recording. */
export const ROLES: ReadonlySet<string> = new Set(ROLE_NAMES);

/** Roles that are multiprocessing's own helpers: quieter in views, never flagged as orphans. */
export const HELPER_ROLES: ReadonlySet<ProcessRole> = new Set(['forkserver', 'resource-tracker']);

/**
 * Roles that serve other processes (the helpers and a Manager's server): never the cause of a hang,
 * never "stuck", not counted as peers that ended.
 */
export const SERVER_ROLES: ReadonlySet<ProcessRole> = new Set([...HELPER_ROLES, 'manager']);

/** Roles that do the script's work (helpers — Manager, forkserver, resource tracker — and the main process are not workers). */
export const WORKER_ROLES: ReadonlySet<string> = new Set(['process', 'pool-worker', 'executor-worker', 'fork', 'dask-worker']);

/** Roles of a pool's or an executor's workers. */
export const POOL_WORKER_ROLES: ReadonlySet<string> = new Set(['pool-worker', 'executor-worker']);

/** Role words for the tree, the trace export and the text views. */
export const ROLE_LABELS: Record<string, string> = {
  main: 'main',
  process: 'process',
  'pool-worker': 'pool worker',
  'executor-worker': 'executor worker',
  manager: 'manager',
  forkserver: 'forkserver',
  'resource-tracker': 'resource tracker',
  fork: 'os.fork',
  subprocess: 'python (subprocess)',
  command: 'command',
  'dask-worker': 'dask worker',
  'dask-nanny': 'dask nanny',
  'dask-scheduler': 'dask scheduler',
};

/** True for multiprocessing's own helpers (shown quieter). */
export const isHelperRole = (role: ProcessRole): boolean => HELPER_ROLES.has(role);

/** True for a process that serves others (helpers and a Manager's server). */
export const isServerRole = (role: ProcessRole): boolean => SERVER_ROLES.has(role);
