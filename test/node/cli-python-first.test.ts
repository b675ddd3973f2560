/**
 * `forkscope record` run as a command (dist/cli.js through its shell lines, extension/runtime/launcher.sh):
 * Python starts first and Node, booting beside it, adopts it (cold), or this user's warm supervisor records it
 * and no Node starts (warm: cli-warm.test.ts tests what is its own). Real runs with the real interpreter binary:
 * the recording is whole, and the script gets what a plain `python` gets (stdin, exit status, Ctrl-C, signal
 * dispositions, environment), both ways, including when Node is slow to come or cannot record at all.
 */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording } from '../../core/model/recording';
import { CLI, PYTHON, ROOT, runCommand, startWarm, stopWarm, type Ran } from './support/run';

const REAL = spawnSync(PYTHON, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
const LINUX = process.platform === 'linux';

const JOB = `import sys, multiprocessing as mp
if __name__ == "__main__":
    p = mp.Process(target=print, args=("child",))
    p.start(); p.join()
    print("main", sys.argv[1:], sys.stdin.read().strip())
    sys.exit(3)
`;

/** What a process was given: its stdin, signal dispositions, ignored signals, and Forkscope's variables. */
const GIVEN = `import os, signal, sys, json
ign = [l.split()[1] for l in open("/proc/self/status") if l.startswith("SigIgn:")][0]
print(json.dumps({
    "stdin": sys.stdin.read(),
    "int": str(signal.getsignal(signal.SIGINT)),
    "quit": str(signal.getsignal(signal.SIGQUIT)),
    "ignored": ign,
    "env": sorted(k for k in os.environ if k.startswith("FORKSCOPE")),
    "run": os.path.dirname(json.loads(os.environ.get("FORKSCOPE_RUNTIME", '{"socket": ""}'))["socket"]),
}))
`;

const INTERRUPTED = `import sys, time
try:
    print("ready", flush=True)  # (at once: before Node has started, when Node is slow)
    time.sleep(30)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(5)
`;

function setup(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-first-'));
  fs.writeFileSync(path.join(dir, 'job.py'), JOB);
  fs.writeFileSync(path.join(dir, 'given.py'), GIVEN);
  fs.writeFileSync(path.join(dir, 'interrupted.py'), INTERRUPTED);
  fs.writeFileSync(path.join(dir, 'raises.py'), 'def f():\n    raise ValueError("boom")\n\nf()\n');
  fs.writeFileSync(path.join(dir, 'killed.py'), 'import os, signal\nprint("bye", flush=True)\nos.kill(os.getpid(), signal.SIGTERM)\n');
  return dir;
}

/** Cold: Node adopts the interpreter. Warm: this user's warm supervisor records the run. */
type Mode = 'cold' | 'warm';
const MODES: Mode[] = ['cold', 'warm'];

/** Runs `fn` in a fresh folder with the scripts (and, warm, a warm supervisor in its cache folder), removed afterwards. */
async function inDir(fn: (dir: string) => Promise<void>, mode: Mode = 'cold'): Promise<void> {
  const dir = setup();
  let warm: number | null = null;
  try {
    if (mode === 'warm') warm = await startWarm(path.join(dir, 'cache'));
    await fn(dir);
  } finally {
    stopWarm(warm);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function reduce(file: string) {
  const rec = parseRecording(fs.readFileSync(file, 'utf8'), file);
  return { rec, model: RunReducer.fromRecords(rec.header, rec.records) };
}

/** `forkscope record …` as a shell runs it: the file itself, not `node dist/cli.js`. Warm: a warm supervisor may take it. */
function forkscope(
  dir: string,
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; mode?: Mode } = {},
): Promise<Ran & { pid: number }> {
  let pid = 0;
  return runCommand(CLI, ['record', ...args], {
    cwd: dir,
    input: opts.input,
    env: {
      ...process.env,
      FORKSCOPE_CACHE_DIR: path.join(dir, 'cache'),
      FORKSCOPE_WARM: opts.mode === 'warm' ? '1' : '0',
      ...opts.env,
    },
    onStart: (p) => (pid = p),
  }).then((r) => ({ ...r, pid }));
}

const opts = { timeout: 60_000, skip: LINUX ? false : 'the shell launcher starts Python first on Linux only' };

for (const mode of MODES) {
  test(
    `${mode}: record starts Python first; ${mode === 'cold' ? 'Node adopts it' : 'the warm supervisor takes it'}, and the run is recorded whole`,
    opts,
    () =>
      inDir(async (dir) => {
        const out = path.join(dir, 'a.forkscope');
        const r = await forkscope(dir, ['--quiet', '--out', out, '--python', REAL, 'job.py', 'x'], { input: 'typed\n', mode });
        const plain = await runCommand(REAL, ['job.py', 'x'], { cwd: dir, input: 'typed\n' });
        assert.equal(r.code, 3, r.stderr);
        assert.equal(r.stdout, plain.stdout, 'the same output, the terminal’s stdin included');
        assert.equal(r.stderr, '');
        const { rec, model } = reduce(out);
        assert.equal(rec.header.pythonFirst, true, 'started by the shell launcher');
        assert.equal(rec.header.warm, mode === 'warm' ? true : undefined, 'recorded by the warm supervisor, or not');
        assert.equal(model.processes.length, 2, 'the main process and its child');
        const main = model.processes.find((p) => p.role === 'main')!;
        assert.equal(main.exitCode, 3);
        assert.equal(main.ppid, r.pid, 'the interpreter is the child of the command the shell ran (Node after exec, or the shell)');
        assert.ok(main.startedAt !== null && main.startedAt >= 0, `the recording starts no later than Python does (${main.startedAt})`);
        assert.deepEqual(
          model.warnings.map((w) => w.kind),
          [],
          'no warning: not "never connected", not "left running" (the zombie Node keeps is not the script’s)',
        );
        const spawned = rec.records.find((x) => x[0] === 'spawned');
        assert.equal(spawned?.[2], main.pid);

        // No --python: python3 found on PATH (here a link to the binary), as the CLI would pick it.
        const bin = path.join(dir, 'pybin');
        fs.mkdirSync(bin);
        fs.symlinkSync(REAL, path.join(bin, 'python3'));
        const onPath = await forkscope(dir, ['-q', '-o', path.join(dir, 'p.forkscope'), 'job.py'], {
          env: { PATH: `${bin}${path.delimiter}${process.env.PATH}` },
          mode,
        });
        assert.equal(onPath.code, 3, onPath.stderr);
        const found = reduce(path.join(dir, 'p.forkscope')).rec.header;
        assert.equal(found.pythonFirst, true);
        assert.equal(found.warm, mode === 'warm' ? true : undefined);
        assert.equal(found.python, 'python3');

        // A traceback shows the script's frames only, as plainly (the launcher's own are left out).
        const raised = await forkscope(dir, ['-q', '-o', path.join(dir, 'r.forkscope'), '--python', REAL, 'raises.py'], { mode });
        const raisedPlain = await runCommand(REAL, ['raises.py'], { cwd: dir });
        assert.equal(raised.code, 1);
        assert.equal(raised.stderr, raisedPlain.stderr);
        assert.equal(reduce(path.join(dir, 'r.forkscope')).rec.header.warm, mode === 'warm' ? true : undefined);
      }, mode),
  );
}

for (const mode of MODES) {
  test(
    `${mode}: on the way to the socket ${mode === 'cold' ? 'Node loads no crypto or zlib' : 'no Node starts'}, Python no json; built-ins are not copied, bundles are ASCII`,
    opts,
    () =>
      inDir(async (dir) => {
        // Node's list of the built-in modules it loaded, and Python's modules, as each process ends.
        const hook = path.join(dir, 'loaded.js');
        fs.writeFileSync(
          hook,
          `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'node.txt'))}, process.moduleLoadList.join('\\n')));`,
        );
        fs.writeFileSync(path.join(dir, 'empty.py'), 'import sys\nopen("py.txt", "w").write("\\n".join(sorted(sys.modules)))\n');
        const r = await forkscope(dir, ['-q', '-o', path.join(dir, 'e.forkscope'), '--python', REAL, 'empty.py'], {
          env: { NODE_OPTIONS: `--require ${hook}` },
          mode,
        });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(reduce(path.join(dir, 'e.forkscope')).rec.header.pythonFirst, true);
        if (mode === 'cold') {
          const node = fs.readFileSync(path.join(dir, 'node.txt'), 'utf8').split('\n');
          assert.ok(node.includes('NativeModule net'), 'the list is Node’s own');
          // (child_process is not in the list: Node's net loads it itself, through its cluster module.)
          for (const m of ['crypto', 'zlib']) assert.ok(!node.includes(`NativeModule ${m}`), `${m} is not loaded`);
        } else {
          assert.equal(reduce(path.join(dir, 'e.forkscope')).rec.header.warm, true);
          // (The warm supervisor was started before NODE_OPTIONS was set: only a Node started for this run has it.)
          assert.equal(fs.existsSync(path.join(dir, 'node.txt')), false, 'no Node started for the run');
        }
        const py = fs.readFileSync(path.join(dir, 'py.txt'), 'utf8').split('\n');
        assert.ok(py.includes('forkscope_runtime.transport'), 'the runtime was installed');
        for (const m of ['json', 'signal', 'socket']) assert.ok(!py.includes(m), `the runtime did not import ${m}`);
        // Each namespace import of a built-in module in the CLI's bundles is the module itself, and the bundles are
        // ASCII, which Node reads as one-byte text (scripts/build.mjs).
        for (const bundle of ['cli.js', 'cli-record.js', 'cli-main.js']) {
          const js = fs.readFileSync(path.join(ROOT, 'dist', bundle), 'utf8');
          assert.doesNotMatch(js, /\(require\("node:[a-z_/]+"\)\)/, `${bundle}: no built-in module goes through a wrapper`);
          assert.match(js, /= require\("node:fs"\);/, bundle);
          const beyond = /[\u0080-\uffff]/.exec(js);
          assert.equal(
            beyond,
            null,
            `${bundle}: a character beyond ASCII at ${beyond?.index}: ${JSON.stringify(js.slice((beyond?.index ?? 0) - 40, (beyond?.index ?? 0) + 10))}`,
          );
        }
      }, mode),
  );
}

for (const mode of MODES) {
  test(`${mode}: the script starts with the stdin, signal dispositions and variables a plain python has`, opts, () =>
    inDir(async (dir) => {
      const out = path.join(dir, 'b.forkscope');
      const r = await forkscope(dir, ['-q', '-o', out, '--python', REAL, 'given.py'], { input: 'abc', mode });
      const plain = await runCommand(REAL, ['given.py'], {
        cwd: dir,
        input: 'abc',
        env: { ...process.env, FORKSCOPE_CACHE_DIR: path.join(dir, 'cache') },
      });
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout);
      const want = JSON.parse(plain.stdout);
      assert.equal(reduce(out).rec.header.pythonFirst, true);
      assert.equal(reduce(out).rec.header.warm, mode === 'warm' ? true : undefined);
      assert.deepEqual(
        { ...got, env: [], run: '' },
        { ...want, env: [], run: '' },
        'stdin, SIGINT, SIGQUIT and ignored signals as plainly',
      );
      assert.deepEqual(got.env, [...want.env, 'FORKSCOPE_RUNTIME'].sort(), 'only the runtime’s own variable more');
      assert.match(got.run, /forkscope-[0-9a-f]{32}$/);
      assert.equal(fs.existsSync(got.run), false, 'the run’s private folder is gone');

      // A command started with SIGINT ignored (nohup-like, `trap '' INT`) gives its script SIGINT ignored: kept so.
      const sh = (cmd: string) =>
        runCommand('/bin/sh', ['-c', `trap '' INT; ${cmd}`], {
          cwd: dir,
          input: '',
          env: { ...process.env, FORKSCOPE_CACHE_DIR: path.join(dir, 'cache'), FORKSCOPE_WARM: mode === 'warm' ? '1' : '0' },
        });
      const ignoredPlain = JSON.parse((await sh(`exec "${REAL}" given.py`)).stdout);
      const ignoredRec = await sh(`exec "${CLI}" record -q -o c.forkscope --python "${REAL}" given.py`);
      assert.equal(reduce(path.join(dir, 'c.forkscope')).rec.header.pythonFirst, true);
      const ignored = JSON.parse(ignoredRec.stdout);
      assert.equal(ignored.int, ignoredPlain.int);
      assert.notEqual(ignored.int, want.int, 'ignored, not the default handler');
      assert.equal(ignored.ignored, ignoredPlain.ignored);
      assert.equal(reduce(path.join(dir, 'c.forkscope')).rec.header.warm, mode === 'warm' ? true : undefined);
    }, mode),
  );
}

/** A `node` first on PATH that runs `body` (a shell script) in its place; the environment to run it with. */
function fakeNode(dir: string, body: string): NodeJS.ProcessEnv {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'node'), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
}

/** A `node` that takes `seconds` to start Node. */
function slowNode(dir: string, seconds: number): NodeJS.ProcessEnv {
  return fakeNode(dir, `sleep ${seconds}\nexec "${process.execPath}" "$@"`);
}

/** The command in its own process group; a terminal's Ctrl-C (SIGINT to the group) once the script says "ready". */
async function interrupt(dir: string, out: string, env: NodeJS.ProcessEnv) {
  const child = spawn(CLI, ['record', '-q', '-o', out, '--python', REAL, 'interrupted.py'], {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('ready')) resolve();
    }),
  );
  // With Node's own start over (the recording is begun once its handlers are in place): during it, a Ctrl-C ends
  // Node, which resets every signal as it starts (extension/runtime/launcher.sh).
  if (!env.PATH?.includes(dir)) while (!fs.existsSync(out)) await new Promise((r) => setTimeout(r, 10));
  process.kill(-child.pid!, 'SIGINT');
  const code = await ended;
  clearTimeout(timer);
  return { code, stdout, stderr };
}

for (const mode of MODES) {
  test(`${mode}: Ctrl-C reaches the script as it does plainly, and a death by signal ends the command the same way`, opts, () =>
    inDir(async (dir) => {
      const modeEnv = { ...process.env, FORKSCOPE_CACHE_DIR: path.join(dir, 'cache'), FORKSCOPE_WARM: mode === 'warm' ? '1' : '0' };
      // Once Node runs, and while it is still starting (the script is quicker): Node must neither die of it nor miss it.
      // Warm, no Node starts: the shell passes the Ctrl-C on to the warm supervisor.
      const cases: [string, NodeJS.ProcessEnv][] =
        mode === 'cold'
          ? [
              ['Node running', modeEnv],
              ['Node still starting', { ...slowNode(dir, 1), FORKSCOPE_CACHE_DIR: modeEnv.FORKSCOPE_CACHE_DIR, FORKSCOPE_WARM: '0' }],
            ]
          : [['warm supervisor', modeEnv]];
      for (const [when, env] of cases) {
        const out = path.join(dir, `int-${when.length}.forkscope`);
        const r = await interrupt(dir, out, env);
        assert.equal(r.code, 5, `${when}: the script's own exit after KeyboardInterrupt: ${r.stderr}`);
        assert.match(r.stdout, /interrupted/, when);
        const { rec, model } = reduce(out);
        assert.equal(rec.header.pythonFirst, true, when);
        assert.equal(rec.header.warm, mode === 'warm' ? true : undefined, when);
        assert.equal(model.processes.find((p) => p.role === 'main')!.exitCode, 5, when);
      }

      const killed = await forkscope(dir, ['-q', '-o', path.join(dir, 'e.forkscope'), '--python', REAL, 'killed.py'], { mode });
      assert.equal(killed.signal, 'SIGTERM', `ended by the script's signal: ${killed.code} ${killed.stderr}`);
      const { rec } = reduce(path.join(dir, 'e.forkscope'));
      assert.equal(rec.header.warm, mode === 'warm' ? true : undefined);
      const exited = rec.records.find((x) => x[0] === 'exited');
      assert.deepEqual(exited?.slice(2), [null, 'SIGTERM']);
    }, mode),
  );
}

test('a Node slow to boot loses nothing: the runtime keeps its events until the socket is there', opts, () =>
  inDir(async (dir) => {
    // `node` on PATH takes 1.5 s to start: the script is long done by then.
    const out = path.join(dir, 'f.forkscope');
    const r = await forkscope(dir, ['-q', '-o', out, '--python', REAL, 'job.py', 'slow'], { env: slowNode(dir, 1.5) });
    assert.equal(r.code, 3, r.stderr);
    const { rec, model } = reduce(out);
    assert.equal(rec.header.pythonFirst, true);
    assert.equal(model.processes.length, 2, 'both processes, though both ended before the socket existed');
    const main = model.processes.find((p) => p.role === 'main')!;
    assert.equal(main.exitCode, 3);
    assert.ok(
      model.processes.every((p) => p.exitCode !== null),
      'each process’s end, sent after the socket appeared',
    );
  }),
);

test('when Node cannot record the run, the script runs on unrecorded and the command ends with it', opts, () =>
  inDir(async (dir) => {
    // A folder that is not private (another user could reach the socket): neither side uses it.
    const env = fakeNode(
      dir,
      `run=\${FORKSCOPE_ADOPT#* }\nrun=\${run% *}\nmkdir -p "$run" && chmod 755 "$run"\nexec "${process.execPath}" "$@"`,
    );
    const out = path.join(dir, 'g.forkscope');
    const r = await forkscope(dir, ['-q', '-o', out, '--python', REAL, 'job.py'], { input: 'still here\n', env });
    assert.equal(r.code, 3, 'the script’s own status');
    assert.match(r.stdout, /child\nmain \[\] still here\n/);
    assert.match(r.stderr, /^forkscope: this run cannot be recorded \(.*not a private folder.*\); the script runs on unrecorded\.$/m);
    assert.equal(fs.existsSync(out), false, 'no recording');
  }),
);

test('a supervisor that dies before its socket exists is not waited for', opts, () =>
  inDir(async (dir) => {
    // A `node` that ends at once (as Node does at a Ctrl-C during its own start, before any JavaScript).
    const env = fakeNode(dir, 'exit 130');
    const t0 = Date.now();
    const r = await forkscope(dir, ['-q', '-o', path.join(dir, 'h.forkscope'), '--python', REAL, 'job.py'], { env });
    assert.equal(r.code, 130);
    assert.match(r.stdout, /child\nmain \[\]/, 'the script ran on, as a plain one would');
    // The runtime waits up to 10 s for a socket that is still to come; for a dead supervisor it does not.
    assert.ok(Date.now() - t0 < 8000, `the script's exit was not held up waiting (${Date.now() - t0} ms)`);
  }),
);

for (const mode of MODES) {
  test(`${mode}: installed as npm links it (bin/forkscope → ../lib/node_modules/forkscope/dist/cli.js), it starts Python first`, opts, () =>
    inDir(async (dir) => {
      const prefix = path.join(dir, 'prefix');
      fs.mkdirSync(path.join(prefix, 'bin'), { recursive: true });
      fs.mkdirSync(path.join(prefix, 'lib', 'node_modules'), { recursive: true });
      fs.symlinkSync(ROOT, path.join(prefix, 'lib', 'node_modules', 'forkscope'));
      fs.symlinkSync('../lib/node_modules/forkscope/dist/cli.js', path.join(prefix, 'bin', 'forkscope'));
      const out = path.join(dir, 'n.forkscope');
      const r = await runCommand(path.join(prefix, 'bin', 'forkscope'), ['record', '-q', '-o', out, '--python', REAL, 'raises.py'], {
        cwd: dir,
        env: { ...process.env, FORKSCOPE_CACHE_DIR: path.join(dir, 'cache'), FORKSCOPE_WARM: mode === 'warm' ? '1' : '0' },
      });
      const plain = await runCommand(REAL, ['raises.py'], { cwd: dir });
      assert.equal(r.code, 1);
      assert.equal(r.stderr, plain.stderr, 'the same traceback: the launcher found its own frames under that path');
      assert.equal(reduce(out).rec.header.pythonFirst, true);
      assert.equal(
        reduce(out).rec.header.warm,
        mode === 'warm' ? true : undefined,
        'the same install, whichever way its command was named',
      );
    }, mode),
  );
}

for (const mode of MODES) {
  test(`${mode}: the numeric options keep Python first, and reach the runtime and the recording`, opts, () =>
    inDir(async (dir) => {
      const script = path.join(dir, 'cfg.py');
      fs.writeFileSync(
        script,
        'from forkscope_runtime import config\nc = config.load()\nprint(c.flush_ms, c.detail_rate, c.max_processes)\n',
      );
      const out = path.join(dir, 'o.forkscope');
      const args = ['-q', '--flush-ms', '050', '--detail-rate=7', '--max-processes', '5', '--sample-ms=200', '--hang-seconds', '.5'];
      const r = await forkscope(dir, [...args, '-o', out, '--python', REAL, 'cfg.py'], { mode });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '50 7 5\n', 'the runtime has the options (050 read as fifty)');
      const { rec } = reduce(out);
      assert.equal(rec.header.pythonFirst, true);
      assert.equal(rec.header.warm, mode === 'warm' ? true : undefined);
      assert.equal(rec.header.sampleMs, 200);
      assert.equal(rec.header.maxProcesses, 5);
      // A value the CLI refuses is refused as before, by Node, before anything runs.
      for (const bad of [['--flush-ms', '0'], ['--sample-ms=5'], ['--hang-seconds', '1.2.3'], ['--detail-rate', '-1'], ['--flush-ms']]) {
        const b = await forkscope(dir, ['-q', ...bad, '-o', path.join(dir, 'bad.forkscope'), '--python', REAL, 'cfg.py'], { mode });
        assert.equal(b.code, 2, `${bad.join(' ')}: ${b.stderr}`);
        assert.match(b.stderr, /forkscope: --[a-z-]+ (takes|needs)/, bad.join(' '));
        assert.equal(b.stdout, '', `${bad.join(' ')}: the script did not run`);
      }
    }, mode),
  );
}

test('other forms go the ordinary way (Node first), with the same result', opts, () =>
  inDir(async (dir) => {
    const wrapper = path.join(dir, 'python-wrapper');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${REAL} "$@"\n`, { mode: 0o755 });
    let n = 0;
    for (const [name, args] of [
      ['an option the launcher leaves to Node', ['--ipc', '--python', REAL]],
      ['a value only Node reads (1e2 is 100)', ['--sample-ms', '1e2', '--python', REAL]],
      ['an interpreter behind a wrapper', ['--python', wrapper]],
      ['an interpreter named after --', ['--', REAL]],
    ] as const) {
      const out = path.join(dir, `other-${n++}.forkscope`);
      const r = await forkscope(dir, ['-q', '-o', out, ...args, 'job.py'], { input: 'x\n' });
      assert.equal(r.code, 3, `${name}: ${r.stderr}`);
      assert.match(r.stdout, /child\nmain \[\] x\n/, name);
      const { rec, model } = reduce(out);
      assert.equal(rec.header.pythonFirst, undefined, `${name}: Node first`);
      assert.equal(model.processes.length, 2, name);
    }
  }),
);
