/**
 * The Python runtime speaks docs/runtime-protocol.md: every event of real
 * runs (every start method) has a known type, a time inside the run, and
 * fields of the documented shapes.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecording, type RuntimeEvent } from '../../core/model/recording';
import { record, startMethods } from './support/run';

type Check = (ev: RuntimeEvent) => string | null;

const isStr = (v: unknown) => typeof v === 'string';
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const optStr = (v: unknown) => v === null || v === undefined || isStr(v);
const optNum = (v: unknown) => v === null || v === undefined || isNum(v);
const ROLES = ['main', 'process', 'pool-worker', 'executor-worker', 'manager', 'forkserver', 'resource-tracker', 'fork'];
const KINDS = ['queue', 'simplequeue', 'joinablequeue', 'pipe', 'pool', 'manager'];
const WAITS = [
  'join',
  'queue.get',
  'queue.put',
  'recv',
  'lock',
  'semaphore',
  'condition',
  'event',
  'barrier',
  'pool.result',
  'future.result',
  'sleep',
  'manager',
];
const isRef = (v: unknown) => isStr(v) && /^[pm]/.test(v as string);

const checks: Record<string, Check> = {
  proc: ([, , i]) =>
    isObj(i) && isNum(i.pid) && ROLES.includes(i.role as string) && optStr(i.name) && optStr(i.key)
      ? null
      : 'proc needs {pid, role, name?, key?}',
  create: ([, , i]) =>
    isObj(i) && isStr(i.key) && optStr(i.name) && optStr(i.target) && optStr(i.startMethod) ? null : 'create needs {key, …}',
  started: ([, , key, pid]) => (isStr(key) && isNum(pid) ? null : 'started needs key, pid'),
  run: ([, , key]) => (optStr(key) ? null : 'run needs key'),
  runend: ([, , err]) => (optStr(err) ? null : 'runend needs error or null'),
  exit: ([, , code, cpu, rss]) => (optNum(code) && optNum(cpu) && optNum(rss) ? null : 'exit needs exitcode, cpuSeconds, maxRssBytes'),
  ended: ([, , reason, detail]) =>
    ['returned', 'exception', 'sys.exit', 'terminated-by-pool', 'os._exit'].includes(reason as string) && optStr(detail)
      ? null
      : 'ended needs a reason and a detail or null',
  endby: ([, , pid, reason, detail]) =>
    Number.isInteger(pid) && ['terminate()', 'kill()', 'interrupt()', 'terminated-by-pool'].includes(reason as string) && optStr(detail)
      ? null
      : 'endby needs a pid, a reason and a detail or null',
  reap: ([, , pid, code]) => (isNum(pid) && optNum(code) ? null : 'reap needs pid, exitcode'),
  join: ([, , key, begin, code]) => (isStr(key) && isNum(begin) && optNum(code) ? null : 'join needs key, tBegin, exitcode'),
  w: ([, , what, ref, detail]) =>
    WAITS.includes(what as string) && optStr(ref) && optStr(detail) ? null : `w needs a known what (got ${String(what)})`,
  we: () => null,
  ws: ([, t, tBegin, file, line]) =>
    isNum(tBegin) && (tBegin as number) <= (t as number) && typeof file === 'string' && Number.isInteger(line)
      ? null
      : 'ws needs tBegin ≤ t, file and line',
  bk: ([, t, tBegin, what, ref, detail, file, line]) =>
    isNum(tBegin) &&
    (tBegin as number) <= (t as number) &&
    (what === 'exit-flush' || what === 'frame') &&
    optStr(ref) &&
    optStr(detail) &&
    optStr(file) &&
    optNum(line)
      ? null
      : 'bk needs tBegin ≤ t, what (exit-flush|frame), ref, detail, file, line',
  bke: () => null,
  chan: ([, , i]) =>
    isObj(i) && isRef(i.ref) && KINDS.includes(i.kind as string) && Array.isArray(i.refs) && (i.refs as unknown[]).every(isRef)
      ? null
      : 'chan needs {ref, kind, refs}',
  lock: ([, , i]) => (isObj(i) && isStr(i.ref) && isStr(i.kind) ? null : 'lock needs {ref, kind}'),
  shared: ([, , i]) => (isObj(i) && isStr(i.kind) ? null : 'shared needs {kind}'),
  pool: ([, , i]) =>
    isObj(i) && isStr(i.ref) && (i.kind === 'pool' || i.kind === 'executor') && optStr(i.tasks) ? null : 'pool needs {ref, kind, tasks}',
  pcall: ([, , i]) => (isObj(i) && isStr(i.pool) && isStr(i.method) ? null : 'pcall needs {pool, method}'),
  task: ([, , i]) => (isObj(i) && isStr(i.pool) && isNum(i.tBegin) ? null : 'task needs {pool, tBegin}'),
  m: ([, , ref, from, sent, bytes, tag]) =>
    isRef(ref) && isNum(from) && isNum(sent) && isNum(bytes) && optStr(tag) ? null : 'm needs ref, fromPid, tSent, bytes, tag',
  ctr: ([, , c]) => {
    if (!isObj(c)) return 'ctr needs an object';
    for (const k of Object.keys(c))
      if (!['sent', 'recv', 'locks', 'waits', 'tasks', 'calls', 'callTimes', 'detail', 'dropped', 'droppedBatches'].includes(k))
        return `ctr has unknown key ${k}`;
    const arrays = (o: unknown, n: number) =>
      o === undefined || (isObj(o) && Object.values(o).every((v) => Array.isArray(v) && v.length === n && v.every(isNum)));
    if (!arrays(c.sent, 2) || !arrays(c.recv, 5) || !arrays(c.locks, 3) || !arrays(c.tasks, 3) || !arrays(c.callTimes, 3))
      return 'ctr arrays have the wrong shape';
    if (c.recv !== undefined && !Object.keys(c.recv as object).every((k) => /^\S+ \d+$/.test(k))) return 'recv keys are "ref pid"';
    return null;
  },
  hold: ([, t, ref, tBegin]) =>
    isStr(ref) && /^l/.test(ref as string) && isNum(tBegin) && (tBegin as number) <= (t as number) ? null : 'hold needs ref, tBegin ≤ t',
  warn: ([, , kind, message]) => (isStr(kind) && isStr(message) ? null : 'warn needs kind, message'),
  out: ([, , stream, text]) =>
    (stream === 'stdout' || stream === 'stderr') && isStr(text) && (text as string).length > 0 ? null : 'out needs stream, text',
  outcap: ([, , limit]) => (isNum(limit) ? null : 'outcap needs limit'),
};

for (const method of startMethods()) {
  test(`every event of a real run follows the protocol (${method})`, async () => {
    const r = await record('flows.py', [method]);
    assert.equal(r.code, 0, r.stderr);
    const rec = parseRecording(r.recordingText);
    const start = rec.header.startedAt;
    const problems = new Map<string, number>();
    const seen = new Set<string>();
    let events = 0;
    for (const line of rec.records) {
      if (line[0] !== 'ev') continue;
      for (const ev of line[2]) {
        events++;
        const type = ev[0];
        seen.add(type);
        const check = checks[type];
        let problem = check ? check(ev) : `unknown event type ${JSON.stringify(type)}`;
        if (!problem && !(isNum(ev[1]) && ev[1] >= start - 1 && ev[1] <= Date.now() / 1000 + 1)) problem = `${type}: time outside the run`;
        if (problem) problems.set(problem, (problems.get(problem) ?? 0) + 1);
      }
    }
    assert.ok(events > 50, `only ${events} events`);
    assert.deepEqual(Object.fromEntries(problems), {});
    for (const t of ['proc', 'create', 'started', 'run', 'runend', 'exit', 'join', 'chan', 'pool', 'pcall', 'ctr', 'm'])
      assert.ok(seen.has(t), `emits ${t}`);
  });
}
