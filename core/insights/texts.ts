/**
 * The words of every insight, as data: each cause and piece of advice is a
 * template here, and the code that finds an insight names the template and
 * gives the values. `{name}` is replaced by the value of that name (values are
 * text from the run, already worded: labels, sizes, seconds). docs/insights.md
 * describes the same advice; change both together.
 */

/** Template sentences, joined with a space. */
const s = (...sentences: string[]): string => sentences.join(' ');

export const INSIGHT_TEXTS = {
  // ---- deadlock (hangs.ts) ----
  deadlock: 'Deadlock, stuck for {stuckFor}: {chain}. {cause} {advice}',
  exitFeederCause: s(
    '{process} cannot exit until its {bytes} on {channel} is read:',
    'a process that put data on a Queue waits at exit for its feeder thread to write it all into the pipe, and nobody is reading it.',
  ),
  exitFeederJoinedAdvice: s(
    'Read the queue before joining (get() everything you expect, then join()),',
    'or call cancel_join_thread() in the child if losing the data is acceptable.',
  ),
  exitFeederAdvice: s(
    'Read the queue in another process while this one exits,',
    'or call cancel_join_thread() in it if losing the data is acceptable.',
  ),
  exitOtherCause: "{process} finished its target but does not exit (it may be waiting for its own threads or a queue's feeder).",
  exitOtherAdvice: 'Make sure its non-daemon threads end and what it put on queues is read.',
  lockDeadCause: 'No live process releases it: {dead} and may have held it. A lock is not released when the process holding it dies.',
  lockDeadAdvice: s(
    'Hold locks only in "with lock:" blocks, never exit, os._exit() or terminate() a process that may hold one,',
    'and use acquire(timeout=…) where a holder can die.',
  ),
  lockCycleCause: 'Every process that could release it is waiting too.',
  lockCycleAdvice: s(
    'Take locks in one order everywhere, release them before blocking on anything else,',
    'and use acquire(timeout=…) to detect a lost lock.',
  ),
  poolDiedCause: s(
    'Worker {died} in the middle of a task; multiprocessing.Pool starts a new worker but never resubmits the lost task,',
    'so that result never comes while the other workers sit idle.',
  ),
  poolDiedAdvice: s(
    'Find why the worker died (os._exit, a signal, running out of memory), pass a timeout to get(),',
    'or use concurrent.futures.ProcessPoolExecutor, which raises BrokenProcessPool instead of hanging.',
  ),
  poolIdleCause: 'Its workers are all idle: no task is left for them, yet the result is not complete.',
  poolIdleAdvice: s(
    'Check that the tasks were submitted to this pool (and that the pool was not closed or terminated first);',
    'pass a timeout to get().',
  ),
  taskDoneCause: s(
    '{process} is in join() of {channel}, which returns only when task_done() has been called once for every item put on it',
    '({put} put so far), and its consumers are waiting for more items.',
  ),
  taskDoneAdvice: s(
    'Call {queue}.task_done() after processing every item taken with get() (the sentinel included),',
    'or do not join() the queue.',
  ),
  fullQueueCause: 'The queue is full (it was made with a maxsize) and no live process takes items out of it.',
  fullQueueAdvice: s(
    'Start the consumers before filling the queue, consume it in another process or thread while putting,',
    'or make it without a maxsize.',
  ),
  cycleCause: 'Each waits for another to send first, and nothing else will: a cycle.',
  cycleAdvice: s(
    'Make one side send before it receives (or send from a separate thread),',
    'or use get(timeout=…)/poll() and handle the silence.',
  ),
  nobodyPutsCause: 'No other live process will ever put to it.{peers}',
  nobodyPutsAdvice: s(
    'Make every producer put what the consumer expects (one item, or one sentinel per producer, even when it fails),',
    'or use get(timeout=…) and check whether the producers are alive.',
  ),
  stuckCause: 'None of them can proceed.',
  stuckAdvice: 'Look at what each one waits for and make one of them not wait (a timeout, a different order).',

  // ---- performance (performance.ts) ----
  imbalance: s(
    '{pool} is unbalanced: worker {worker} was busy {busy} while the {workers} workers averaged {mean} ({ratio}×);',
    'the others waited for it.{longest} {advice}',
  ),
  imbalanceChunksizeAdvice: s(
    'With chunksize={chunksize} the {items} tasks went out in only {chunks} chunks for {workers} workers,',
    'so a slow chunk cannot be shared out.',
    'Use a smaller chunksize (chunksize={suggest} gives about 8 chunks per worker) so idle workers pick up the rest.',
  ),
  imbalanceSingleTaskAdvice: s(
    'A single task dominates: split it into smaller tasks, or submit the longest tasks first',
    '(sort the inputs by expected cost) with chunksize=1 so the others fill the gaps.',
  ),
  imbalanceAdvice: s(
    'Use chunksize=1 (or imap_unordered) so that workers that finish early take the remaining tasks,',
    'and submit the longest tasks first.',
  ),
  poolOverhead: s(
    '{pool} spent its time moving data, not computing: its workers were busy only {busy} of the {span} the work took,',
    '{chunks} chunks averaged {msPerChunk} ms of work each and moved {bytes} through the task and result pipes',
    '(pickling, writing, waking a worker for every chunk).',
    'Pass a larger chunksize (chunksize={suggest} gives about 4 chunks per worker), or send less data per task.',
  ),
  channelOverhead: s(
    '{channel} carried {messages} messages ({bytes}) between {ends}, which ran {running} in all:',
    '{usPerMessage} µs per message, about what pickling, a pipe write and a read cost for one message,',
    'so moving the data is most of their work.',
    'Send items in batches (a list of a few hundred per put()), or use Pool.map/imap with a chunksize.',
  ),
  starvation: s(
    'Workers starve: {workers} spent on average {idle} of their time waiting in get() on {channel} for work,',
    'while the only producer, {producer}, was busy ({producerBusy}): the producer is the bottleneck, not the workers.',
    'Speed up the producer (move the preparation into the workers, send bigger items), or use fewer workers;',
    'more workers will not make this faster.',
  ),
  tooManyProcesses: s(
    'Too many processes for {cores} cores: up to {busy} processes wanted a CPU at once during {share} of the run,',
    'so each got about {corePercent}% of a core{got}{queued}, and the OS spent time switching between them',
    '(context switches, cold caches) instead of computing.',
    '{pool}Use at most {cores} CPU-bound processes (Pool(processes={cores}) or os.cpu_count()); more do not finish sooner.',
  ),

  // ---- hygiene (hygiene.ts) ----
  orphan: s(
    '{process} became an orphan: its parent {parent} ended at {at} while it was still running,',
    'so nobody joins it and it is re-parented to {adopter}.',
    'Join every child before its parent exits (or make it a daemon if it may be killed with its parent).',
  ),
  zombie: s(
    '{process} was a zombie for {zombie}: it ended at {ended} but {parent} did not join it until {reaped}.',
    'A zombie holds its pid and exit status until it is joined.',
    'Join children when they are expected to be done (or poll is_alive()/exitcode and join then).',
  ),
  unjoined: s(
    '{process} was never joined by {parent}: multiprocessing reaped it in passing',
    "(another start(), active_children() or the parent's exit).",
    'Call join() on every Process you start, so its end is a known point of the program and its exit code is checked.',
  ),
  terminatedHoldingLock: s(
    '{process} was {how} at {at} while it used {what}.',
    'Python documents this as the way to corrupt a queue or leave a lock held forever:',
    'the process dies wherever it is, in the middle of a put() or inside a "with lock:".',
    'Ask it to stop instead (a sentinel on its queue or an Event it checks), then join() it;',
    'keep terminate() for processes that share nothing.',
  ),
  grouped: '{count} children of {parent} {what}: {named}{more}. {advice}',
  orphanGroupAdvice: 'Join every child before its parent exits.',
  zombieGroupAdvice: 'Join children when they are expected to be done.',
  unjoinedGroupAdvice: 'Call join() on every Process you start.',
  daemonWithChildren: s(
    '{process} is a daemon process {started}.',
    'A daemon is terminated when its parent exits, which would orphan its children, so multiprocessing forbids it.',
    'Make it non-daemon (daemon=False) and join it, or start those children from its parent.',
  ),
} as const;

export type InsightText = keyof typeof INSIGHT_TEXTS;

/** A template of INSIGHT_TEXTS with its `{name}`s filled in (a name without a value stays as written). */
export function insightText(key: InsightText, values: Readonly<Record<string, string | number>> = {}): string {
  return INSIGHT_TEXTS[key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
