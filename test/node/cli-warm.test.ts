/**
 * This user's warm supervisor (docs/cli.md, "The warm supervisor"; extension/runtime/warm.ts): what is its own,
 * with real runs of the `forkscope` command through its shell lines and the real interpreter binary. A cold run
 * leaves one, the next runs are recorded by it without a Node, and every way it can be missing, busy, stale, idle
 * or killed leaves the command's result as a cold run's. (cli-python-first.test.ts runs the command's shared
 * promises both ways: stdin, exit status, signals, Ctrl-C, environment.)
 *
 * Each test has a cache folder of its own, and stops every supervisor it started or caused by pid.
 */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording } from '../../core/model/recording';
import { alive, CLI, PYTHON, ROOT, runCommand, startWarm, stopWarm, warmPid, type Ran } from './support/run';

const REAL = spawnSync(PYTHON, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
const opts = { timeout: 90_000, skip: process.platform === 'linux' ? false : 'the shell launcher starts Python first on Linux only' };

const SCRIPTS: Record<string, string> = {
  'job.py': `import sys, multiprocessing as mp
if __name__ == "__main__":
    p = mp.Process(target=print, args=("child",))
    p.start(); p.join()
    print("main", sys.argv[1:], sys.stdin.read().strip())
    sys.exit(3)
`,
  'pair.py': `import multiprocessing as mp
if __name__ == "__main__":
    p = mp.Process(target=print, args=("child",))
    p.start(); p.join()
`,
  'slow.py': `import sys, time
print("ready", flush=True)
time.sleep(float(sys.argv[1]))
print("done", flush=True)
`,
  // A chosen status above 128 is not a death by signal; an unhandled KeyboardInterrupt is (Python ends by SIGINT).
  'exit130.py': 'import sys\nsys.exit(130)\n',
  'sigint.py': 'import os, signal\nos.kill(os.getpid(), signal.SIGINT)\nimport time\ntime.sleep(5)\n',
  // Ignores the first Ctrl-C; a second one (the supervisor's, 2 s later) ends it.
  // ("ready" is printed inside the try: a Ctrl-C sent as soon as it is read can land before print returns.)
  'stubborn.py': `import sys, time
try:
    print("ready", flush=True)
    time.sleep(30)
except KeyboardInterrupt:
    print("once", flush=True)
try:
    time.sleep(30)
except KeyboardInterrupt:
    print("twice", flush=True)
    sys.exit(7)
`,
  'tree.py': `import multiprocessing as mp, time
def sleeper():
    time.sleep(60)
if __name__ == "__main__":
    ps = [mp.Process(target=sleeper, name="s%d" % i) for i in range(2)]
    for p in ps: p.start()
    print("ready", flush=True)
    time.sleep(60)
`,
};

interface Env {
  dir: string;
  cache: string;
  env: NodeJS.ProcessEnv;
  /** Pids to stop at the end (supervisors started or left by the test's runs). */
  pids: number[];
}

/** Runs `fn` in a fresh folder with the scripts and a cache folder of its own; stops what it left, removes the folder. */
async function inDir(fn: (e: Env) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-warm-'));
  for (const [name, text] of Object.entries(SCRIPTS)) fs.writeFileSync(path.join(dir, name), text);
  const cache = path.join(dir, 'cache');
  // (TMPDIR: where the runs' private folders go, to see that none is left.)
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  const e: Env = { dir, cache, env: { ...process.env, FORKSCOPE_CACHE_DIR: cache, FORKSCOPE_WARM: '1', TMPDIR: tmp }, pids: [] };
  try {
    await fn(e);
  } finally {
    for (const pid of [...e.pids, warmPid(cache)]) stopWarm(pid);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `forkscope record -q -o OUT --python REAL SCRIPT ARGS…` as a shell runs it. */
function forkscope(e: Env, out: string, script: string[], more: { input?: string; env?: NodeJS.ProcessEnv; args?: string[] } = {}) {
  return runCommand(CLI, ['record', ...(more.args ?? ['-q']), '-o', path.join(e.dir, out), '--python', REAL, ...script], {
    cwd: e.dir,
    input: more.input,
    env: { ...e.env, ...more.env },
  });
}

function header(e: Env, out: string) {
  return parseRecording(fs.readFileSync(path.join(e.dir, out), 'utf8')).header;
}

function reduce(e: Env, out: string) {
  const rec = parseRecording(fs.readFileSync(path.join(e.dir, out), 'utf8'));
  return { rec, model: RunReducer.fromRecords(rec.header, rec.records) };
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The command started in its own process group, with its stdout watched for `ready`. */
function started(e: Env, out: string, script: string[]) {
  const child = spawn(CLI, ['record', '-q', '-o', path.join(e.dir, out), '--python', REAL, ...script], {
    cwd: e.dir,
    env: e.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('ready')) resolve();
    }),
  );
  const ended = new Promise<Ran>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 60_000);
  void ended.then(() => clearTimeout(timer));
  return { pid: child.pid!, ready, ended };
}

test('a cold run leaves a warm supervisor, and the next runs are recorded by it, whole, without a Node', opts, () =>
  inDir(async (e) => {
    const first = await forkscope(e, 'a.forkscope', ['job.py', 'x'], { input: 'one\n' });
    assert.equal(first.code, 3, first.stderr);
    assert.equal(header(e, 'a.forkscope').warm, undefined, 'the first run is a cold one');
    await until('the warm supervisor', () => fs.existsSync(path.join(e.cache, 'warm.sock')) && warmPid(e.cache) !== null);
    const pid = warmPid(e.cache)!;
    assert.ok(alive(pid));
    // Its own session, away from any terminal, in the root folder (it keeps no folder of the user's busy).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(fields[3]), pid, 'a session of its own');
    assert.equal(fs.readlinkSync(`/proc/${pid}/cwd`), '/');

    // Node's own start would write node.txt: no Node starts for a warm run.
    const hook = path.join(e.dir, 'hook.js');
    fs.writeFileSync(hook, `require('fs').writeFileSync(${JSON.stringify(path.join(e.dir, 'node.txt'))}, 'started')`);
    for (const n of [1, 2, 3]) {
      const out = `w${n}.forkscope`;
      const r = await forkscope(e, out, ['job.py', String(n)], { input: `typed ${n}\n`, env: { NODE_OPTIONS: `--require ${hook}` } });
      const plain = await runCommand(REAL, ['job.py', String(n)], { cwd: e.dir, input: `typed ${n}\n` });
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, plain.stdout);
      assert.equal(r.stderr, '');
      const { rec, model } = reduce(e, out);
      assert.equal(rec.header.warm, true, `run ${n} was recorded warm`);
      assert.deepEqual(rec.header.args, [String(n)]);
      assert.equal(model.processes.length, 2);
      assert.equal(model.processes.find((p) => p.role === 'main')!.exitCode, 3);
      assert.deepEqual(model.warnings, []);
      assert.equal(rec.records[rec.records.length - 1][0], 'end', 'the recording is whole when the command has ended');
    }
    assert.equal(fs.existsSync(path.join(e.dir, 'node.txt')), false, 'no Node started for the warm runs');
    assert.equal(warmPid(e.cache), pid, 'the same supervisor for every run');
    assert.deepEqual(fs.readdirSync(path.join(e.dir, 'tmp')), [], 'no run folder is left behind');

    // FORKSCOPE_WARM=0: a run without it, and none left.
    fs.rmSync(e.cache, { recursive: true, force: true });
    const off = await forkscope(e, 'off.forkscope', ['job.py'], { env: { FORKSCOPE_WARM: '0' } });
    assert.equal(off.code, 3);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(fs.existsSync(path.join(e.cache, 'warm.sock')), false, 'none left with FORKSCOPE_WARM=0');
  }),
);

test('a status chosen above 128 is not a death by signal; a death by signal ends the command by it', opts, () =>
  inDir(async (e) => {
    await startWarm(e.cache);
    const chosen = await forkscope(e, 'c.forkscope', ['exit130.py']);
    assert.equal(chosen.code, 130);
    assert.equal(chosen.signal, null);
    const c = reduce(e, 'c.forkscope');
    assert.equal(c.rec.header.warm, true);
    assert.deepEqual(c.rec.records.find((x) => x[0] === 'exited')?.slice(2), [130, null]);

    const killed = await forkscope(e, 's.forkscope', ['sigint.py']);
    const plain = await runCommand(REAL, ['sigint.py'], { cwd: e.dir });
    assert.equal(killed.signal, plain.signal, `as plainly: ${plain.signal} ${plain.code}`);
    assert.equal(killed.code, plain.code);
    const s = reduce(e, 's.forkscope');
    assert.equal(s.rec.header.warm, true);
    assert.deepEqual(s.rec.records.find((x) => x[0] === 'exited')?.slice(2), [null, 'SIGINT']);
  }),
);

test('a second run while the supervisor is busy, and a supervisor killed meanwhile, are recorded cold', opts, () =>
  inDir(async (e) => {
    const pid = await startWarm(e.cache);
    e.pids.push(pid);
    const long = started(e, 'long.forkscope', ['slow.py', '2']);
    await long.ready;
    const busy = await forkscope(e, 'busy.forkscope', ['job.py'], { input: 'b\n' });
    assert.equal(busy.code, 3, busy.stderr);
    assert.match(busy.stdout, /child\nmain \[\] b\n/);
    assert.equal(header(e, 'busy.forkscope').warm, undefined, 'busy: a Node of its own');
    assert.equal(reduce(e, 'busy.forkscope').model.processes.length, 2);
    const l = await long.ended;
    assert.equal(l.code, 0, l.stderr);
    assert.equal(header(e, 'long.forkscope').warm, true);
    assert.equal(warmPid(e.cache), pid, 'the busy supervisor stays, and no second one took its place');

    // Killed while it records a run: the command ends with the script, as the script ended, and the recording so
    // far is kept. The next run finds its socket dead, removes it, and runs cold, leaving a new one.
    const mid = started(e, 'mid.forkscope', ['slow.py', '1']);
    await mid.ready;
    stopWarm(pid);
    const m = await mid.ended;
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /done/);
    assert.equal(header(e, 'mid.forkscope').warm, true);
    assert.deepEqual(fs.readdirSync(path.join(e.dir, 'tmp')), [], 'the run’s folder is removed all the same');
    const after = await forkscope(e, 'after.forkscope', ['job.py']);
    assert.equal(after.code, 3, after.stderr);
    assert.equal(header(e, 'after.forkscope').warm, undefined);
    await until('a new warm supervisor', () => warmPid(e.cache) !== null && warmPid(e.cache) !== pid);
    const again = await forkscope(e, 'again.forkscope', ['job.py']);
    assert.equal(again.code, 3, again.stderr);
    assert.equal(header(e, 'again.forkscope').warm, true);
  }),
);

test('a supervisor of another build, or another install, does not record: it ends, and the run leaves its own', opts, () =>
  inDir(async (e) => {
    // A second install: a copy of dist/ and the runtime, laid out as the package is.
    const other = path.join(e.dir, 'other');
    fs.mkdirSync(path.join(other, 'extension'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'dist'), path.join(other, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.map') });
    fs.cpSync(path.join(ROOT, 'extension', 'python'), path.join(other, 'extension', 'python'), { recursive: true });
    const otherCli = path.join(other, 'dist', 'cli.js');
    const run = (cli: string, out: string) =>
      runCommand(cli, ['record', '-q', '-o', path.join(e.dir, out), '--python', REAL, 'job.py'], { cwd: e.dir, env: e.env });

    const first = await run(otherCli, 'o1.forkscope');
    assert.equal(first.code, 3, first.stderr);
    await until('the other install’s supervisor', () => warmPid(e.cache) !== null);
    const otherPid = warmPid(e.cache)!;
    e.pids.push(otherPid);
    assert.equal(header(e, (await run(otherCli, 'o2.forkscope'), 'o2.forkscope')).warm, true);

    // This install's command: the other's supervisor is not its own.
    const mine = await run(CLI, 'm1.forkscope');
    assert.equal(mine.code, 3, mine.stderr);
    assert.equal(header(e, 'm1.forkscope').warm, undefined);
    await until('the other install’s supervisor to end', () => !alive(otherPid));
    await until('this install’s supervisor', () => warmPid(e.cache) !== null && warmPid(e.cache) !== otherPid);
    const minePid = warmPid(e.cache)!;
    e.pids.push(minePid);
    assert.equal(header(e, (await run(CLI, 'm2.forkscope'), 'm2.forkscope')).warm, true);

    // A rebuild of the other install (its bundle changed): its command finds this install's supervisor first,
    // which ends; then the other's own, which is stale once the bundle changes under it.
    await run(otherCli, 'o3.forkscope');
    await until('this install’s supervisor to end', () => !alive(minePid));
    await until('the other install’s new supervisor', () => warmPid(e.cache) !== null && warmPid(e.cache) !== minePid);
    const second = warmPid(e.cache)!;
    e.pids.push(second);
    const bundle = path.join(other, 'dist', 'cli-record.js');
    fs.appendFileSync(bundle, '\n');
    const rebuilt = await run(otherCli, 'o4.forkscope');
    assert.equal(rebuilt.code, 3, rebuilt.stderr);
    assert.equal(header(e, 'o4.forkscope').warm, undefined, 'not recorded by a supervisor of the build before');
    await until('the stale supervisor to end', () => !alive(second));
    await until('the rebuilt install’s supervisor', () => warmPid(e.cache) !== null && warmPid(e.cache) !== second);
  }),
);

test('an idle supervisor ends by itself, and so does one whose socket is gone', opts, () =>
  inDir(async (e) => {
    const idle = await startWarm(e.cache, { FORKSCOPE_WARM_IDLE: '1' });
    e.pids.push(idle);
    await until('the idle supervisor to end', () => !alive(idle), 10_000);
    assert.equal(fs.existsSync(path.join(e.cache, 'warm.sock')), false, 'its socket is removed');
    assert.equal(warmPid(e.cache), null, 'its pid file is removed');

    const orphan = await startWarm(e.cache);
    e.pids.push(orphan);
    fs.rmSync(path.join(e.cache, 'warm.sock'));
    await until('the supervisor without a socket to end', () => !alive(orphan), 10_000);
  }),
);

test('warm, Ctrl-C is passed on as in a cold run: a script that ignores it is interrupted again; SIGTERM stops the tree', opts, () =>
  inDir(async (e) => {
    await startWarm(e.cache);
    const s = started(e, 'st.forkscope', ['stubborn.py']);
    await s.ready;
    await until('the recording', () => fs.existsSync(path.join(e.dir, 'st.forkscope')));
    const t0 = Date.now();
    process.kill(-s.pid, 'SIGINT'); // what a terminal does on Ctrl-C
    const r = await s.ended;
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stdout, /once\ntwice\n/, 'the supervisor interrupted it a second time');
    assert.ok(Date.now() - t0 < 15_000, `ended ${Date.now() - t0} ms after the Ctrl-C`);
    const st = reduce(e, 'st.forkscope');
    assert.equal(st.rec.header.warm, true);
    assert.equal(st.model.processes.find((p) => p.role === 'main')!.exitCode, 7);

    const tree = started(e, 'tree.forkscope', ['tree.py']);
    await tree.ready;
    // The children's first events in the recording (a fixed wait was too short on a loaded CI machine).
    const processes = () => {
      try {
        return reduce(e, 'tree.forkscope').model.processes.length;
      } catch {
        return 0;
      }
    };
    await until('the three processes in the recording', () => processes() === 3);
    process.kill(tree.pid, 'SIGTERM'); // to the command only, as `kill PID` does
    const t = await tree.ended;
    assert.equal(t.signal, 'SIGTERM', `${t.code} ${t.stderr}`);
    const { rec, model } = reduce(e, 'tree.forkscope');
    assert.equal(rec.header.warm, true);
    assert.equal(model.processes.length, 3);
    const end = rec.records[rec.records.length - 1];
    assert.equal((end[2] as { stopped: boolean }).stopped, true, 'the run ends as stopped');
    const pids = model.processes.map((p) => p.pid);
    await until('no process of the run left', () => pids.filter(alive).length === 0, 5000);
  }),
);

test('in a terminal, a warm run says what it recorded, as a cold one does', opts, () =>
  inDir(async (e) => {
    // A pseudo-terminal from Python's pty module: stderr is a terminal, as when a person runs the command.
    const inPty = (out: string, warm: string) =>
      runCommand(
        REAL,
        [
          '-c',
          'import pty, sys, os; os.environ["FORKSCOPE_WARM"] = sys.argv[1]; sys.exit(pty.spawn(sys.argv[2:]) >> 8)',
          warm,
          CLI,
          'record',
          '-o',
          out,
          '--python',
          REAL,
          'pair.py',
        ],
        { cwd: e.dir, env: e.env },
      );
    const cold = await inPty('cold.forkscope', '0');
    await startWarm(e.cache);
    const warm = await inPty('warm.forkscope', '1');
    assert.equal(header(e, 'cold.forkscope').warm, undefined);
    assert.equal(header(e, 'warm.forkscope').warm, true);
    assert.match(cold.stdout, /forkscope: recorded 2 processes, 0 messages → cold\.forkscope/);
    assert.match(warm.stdout, /forkscope: recorded 2 processes, 0 messages → warm\.forkscope/);
    assert.equal(warm.code, 0);
  }),
);

test('the warm supervisor plans a run with the command’s environment, not the one it was started with', opts, () =>
  inDir(async (e) => {
    // The command's PATH has `python` (and node), no `python3`: the shell starts `python`, and the recording must
    // say so, although the supervisor's own PATH has a python3.
    const bin = path.join(e.dir, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(REAL, path.join(bin, 'python'));
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    await startWarm(e.cache, { PATH: process.env.PATH });
    const r = await runCommand(CLI, ['record', '-q', '-o', path.join(e.dir, 'p.forkscope'), 'pair.py'], {
      cwd: e.dir,
      env: { ...e.env, PATH: bin },
    });
    assert.equal(r.code, 0, r.stderr);
    const h = header(e, 'p.forkscope');
    assert.equal(h.warm, true);
    assert.equal(h.python, 'python');
  }),
);

test('an interpreter that ends before it starts the runtime (Python 2) gets its status and one line, as in a cold run', opts, () =>
  inDir(async (e) => {
    await startWarm(e.cache);
    // An ELF binary that exits 1 at once, as Python 2 does on the launcher (a SyntaxError).
    const r = await runCommand(CLI, ['record', '-q', '-o', path.join(e.dir, 'x.forkscope'), '--python', '/bin/false', 'pair.py'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(r.code, 1, 'the interpreter’s own status');
    assert.match(
      r.stderr,
      /^forkscope: "\/bin\/false" ended before it started Forkscope's runtime; Forkscope needs Python 3\.9 or newer: name one with --python .*Nothing was recorded\.$/m,
    );
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.deepEqual(fs.readdirSync(path.join(e.dir, 'tmp')), [], 'no run folder is left behind');
  }),
);

test('`forkscope warm` says whether this user’s supervisor runs, and `warm --stop` stops it; a stale pid file is not believed', opts, () =>
  inDir(async (e) => {
    const warm = (args: string[] = [], env: NodeJS.ProcessEnv = {}) =>
      runCommand(CLI, ['warm', ...args], { cwd: e.dir, env: { ...e.env, ...env } });
    const none = await warm();
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /^No warm supervisor runs for this user\.\n$/);
    assert.match((await warm([], { FORKSCOPE_WARM: '0' })).stdout, /FORKSCOPE_WARM=0 here: none is left behind/);

    // A pid file naming another program (a supervisor that died, its pid taken since): not it, and not stopped.
    fs.mkdirSync(e.cache, { recursive: true, mode: 0o700 });
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    e.pids.push(other.pid!);
    fs.writeFileSync(path.join(e.cache, 'warm.pid'), `${other.pid}\n`);
    assert.match((await warm()).stdout, /^No warm supervisor runs/);
    assert.match((await warm(['--stop'])).stdout, /^No warm supervisor runs/);
    assert.ok(alive(other.pid!), 'the other program still runs');
    fs.rmSync(path.join(e.cache, 'warm.pid'));

    const pid = await startWarm(e.cache);
    e.pids.push(pid);
    await until('its pid file', () => warmPid(e.cache) === pid);
    const running = await warm();
    assert.equal(running.code, 0);
    assert.match(
      running.stdout,
      new RegExp(`^A warm supervisor runs for this user: pid ${pid}, started \\d+ s ago, listening on ${e.cache}/warm\\.sock\\.\\n$`),
    );
    const stopped = await warm(['--stop']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, `Stopped the warm supervisor (pid ${pid}).\n`);
    assert.ok(!alive(pid), 'it has ended');
    assert.ok(!fs.existsSync(path.join(e.cache, 'warm.sock')) && warmPid(e.cache) === null, 'its socket and pid file are gone');
    assert.match((await warm()).stdout, /^No warm supervisor runs/);

    // A supervisor recording a run when asked: it takes no new run, and ends with that run.
    const again = await startWarm(e.cache);
    e.pids.push(again);
    await until('its pid file', () => warmPid(e.cache) === again);
    const slow = started(e, 'slow.forkscope', ['slow.py', '8']);
    await slow.ready;
    const busy = await warm(['--stop']);
    assert.match(
      busy.stdout,
      new RegExp(`^The warm supervisor \\(pid ${again}\\) takes no new run, and ends when the run it records ends\\.\\n$`),
    );
    const r = await slow.ended;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(header(e, 'slow.forkscope').warm, true, 'the run under way was recorded whole');
    await until('the supervisor’s end', () => !alive(again), 10_000);

    const bad = await warm(['--now']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^forkscope: Unknown option --now\. \(forkscope warm --help shows the usage\)\n$/);
  }),
);
