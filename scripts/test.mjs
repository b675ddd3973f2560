// `npm test`: every test layer of the project, in order, with one closing
// count. Installs what it needs itself (npm dependencies, Debian packages).
//   node scripts/test.mjs [--only LAYER[,LAYER]]   layers: lint, unit, cli, python, cpython, browser, vscode
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureApt, ensureNodeModules, root, run } from './lib/ensure.mjs';

const only = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0 ? new Set(process.argv[i + 1].split(',')) : null;
})();

// A cold `forkscope record` in a terminal leaves this user's warm supervisor for the next run (docs/cli.md, "The
// warm supervisor"). The tests ask for none, so that none outlives them; the tests of the warm supervisor start
// theirs in a folder of their own and stop it by pid (test/node/cli-warm.test.ts).
process.env.FORKSCOPE_WARM = '0';

/** Runs a command, echoing its output (unless `quiet`), and returns [exitCode, output]. */
function capture(cmd, args, { quiet = false, ...opts } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    const take = (stream, sink) =>
      stream.on('data', (d) => {
        out += d.toString();
        if (!quiet) sink.write(d);
      });
    take(child.stdout, process.stdout);
    take(child.stderr, process.stderr);
    child.on('error', (e) => resolve([127, String(e)]));
    child.on('close', (code, signal) => resolve([code ?? (signal ? 128 : 1), out]));
  });
}

/** Counts from node's spec reporter ("ℹ pass 12"). */
function nodeCounts(out) {
  const n = (w) => Number((out.match(new RegExp(`^ℹ ${w} (\\d+)`, 'm')) ?? [])[1] ?? 0);
  return { passed: n('pass'), failed: n('fail') + n('cancelled'), skipped: n('skipped') + n('todo') };
}

/** Counts from unittest ("Ran 12 tests", "FAILED (failures=1, errors=2, skipped=3)", "OK (skipped=1)"). */
function unittestCounts(out) {
  const ran = Number((out.match(/^Ran (\d+) tests?/m) ?? [])[1] ?? 0);
  const get = (k) => Number((out.match(new RegExp(`${k}=(\\d+)`)) ?? [])[1] ?? 0);
  const failed = get('failures') + get('errors') + get('unexpected successes');
  const skipped = get('skipped') + get('expected failures');
  return { passed: ran - failed - skipped, failed, skipped };
}

// Debian's joblib (1.2, loky 3.3 vendored) and dask.distributed (2022.12, with dask-scheduler and
// dask-worker) for /usr/bin/python3: the joblib and dask tests of the cli, python and browser layers
// run them for real (a LocalCluster, and an external scheduler with two workers). numpy beside joblib,
// as its users have it: joblib's queues then carry its memmapping reducers (a test also hides numpy).
const JOBLIB = {
  '/usr/lib/python3/dist-packages/joblib/__init__.py': 'python3-joblib',
  '/usr/lib/python3/dist-packages/numpy/__init__.py': 'python3-numpy',
};
const DASK = { '/usr/lib/python3/dist-packages/distributed/__init__.py': 'python3-distributed' };
/** Installs an optional Debian package the tests use when it can; else its tests skip, saying why. */
function ensureOptional(packages, what) {
  try {
    ensureApt(packages);
  } catch (e) {
    console.log(`forkscope: ${Object.values(packages).join(', ')} not installed (${e.message}); the ${what} tests will be skipped`);
  }
}
const ensureJoblib = () => ensureOptional(JOBLIB, 'joblib');
const ensureDask = () => ensureOptional(DASK, 'dask');

/**
 * The Node test files (compiled to out/test/node), split by what their source does: `pure` ones start no process
 * (no child_process, no test/node/support/run.ts or reliabilitySupport.ts), `runs` start real Python.
 */
function nodeTestFiles() {
  const src = join(root, 'test', 'node');
  const starts = /support\/run|reliabilitySupport|child_process|\bspawn\(|execFile/;
  const pure = [];
  const runs = [];
  for (const f of readdirSync(src).filter((x) => x.endsWith('.test.ts'))) {
    (starts.test(readFileSync(join(src, f), 'utf8')) ? runs : pure).push(f.replace(/\.ts$/, '.js'));
  }
  return { pure, runs };
}

/** The sum of several layers' or passes' counts. */
function addUp(counts) {
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const c of counts) for (const k of Object.keys(total)) total[k] += c[k];
  return total;
}

/** Runs batches of Node test files ([concurrency, files] in out/test/DIR), one after another, and adds up their counts. */
async function nodeTests(batches, dir = 'node') {
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const [concurrency, batch] of batches) {
    if (!batch.length) continue;
    const args = ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...batch.map((f) => join('out', 'test', dir, f))];
    const [code, out] = await capture(process.execPath, args);
    const c = nodeCounts(out);
    if (code !== 0 && c.failed === 0) c.failed = 1;
    for (const k of Object.keys(total)) total[k] += c[k];
  }
  return total;
}

const layers = [
  {
    name: 'lint',
    title: 'Static checks (npm run lint, less the TypeScript checks that ran above): ESLint with the import boundaries, Prettier, pyright',
    async run() {
      // The two TypeScript checks ran before any layer (below): the rest of the static checks.
      const [code] = await capture(process.execPath, [join(root, 'scripts', 'lint.mjs'), '--no-typescript']);
      return code === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 };
    },
  },
  {
    name: 'unit',
    title: 'Pure tests in plain Node: the model, insights, formats, protocols (nothing is spawned; seconds)',
    async run() {
      return nodeTests([[2, nodeTestFiles().pure]]);
    },
  },
  {
    name: 'cli',
    title: 'Supervisor, CLI, insights and the samples over real Python runs (Node tests that start processes)',
    async run() {
      ensureJoblib();
      ensureDask();
      // The samples' lessons (serial vs parallel CPU, a zombie's 1.4 s, a 5 s deadlock) are about the machine's
      // cores and time: their test runs alone, after the others, not beside another test file.
      const alone = ['samples.test.js'];
      const runs = nodeTestFiles().runs;
      return nodeTests([
        [2, runs.filter((f) => !alone.includes(f))],
        [1, runs.filter((f) => alone.includes(f))],
      ]);
    },
  },
  {
    name: 'python',
    title:
      "Python runtime under fork, spawn and forkserver; then again with forkserver as the default start method (Python 3.14's on Linux)",
    async run() {
      ensureJoblib();
      // The two passes run side by side, each printed whole when it ends: a pass keeps a core about a third
      // busy (its time is mostly processes starting and runs waiting on each other), so together they take
      // about what one takes alone.
      const pass = async (method) => {
        const env = { ...process.env };
        if (method) env.FORKSCOPE_TEST_DEFAULT_START_METHOD = method;
        else delete env.FORKSCOPE_TEST_DEFAULT_START_METHOD;
        const [code, out] = await capture(
          process.env.FORKSCOPE_TEST_PYTHON || 'python3',
          ['-m', 'unittest', 'discover', '-s', 'test/python', '-t', '.', '-p', 'test_*.py'],
          { env, quiet: true },
        );
        console.log(
          method
            ? `\n--- with ${method} as the default start method (FORKSCOPE_TEST_DEFAULT_START_METHOD) ---\n`
            : "\n--- with the interpreter's own default start method ---\n",
        );
        process.stdout.write(out);
        const c = unittestCounts(out);
        if (code !== 0 && c.failed === 0) c.failed = 1;
        return c;
      };
      return addUp(await Promise.all([pass(null), pass('forkserver')]));
    },
  },
  {
    name: 'cpython',
    title: "CPython's own multiprocessing test suite (fork flavour) under forkscope record, in two shards side by side",
    async run() {
      // Each test counts; it must pass under the recorder exactly as plainly (where it passes: CPython's own suite).
      // Two recorded runs of half the classes each (cpython_mp_suite.py --shard): a run keeps the cores less than
      // half busy, and the two end together in about 60 % of one run's time.
      const shard = async (i, n) => {
        const out = join(tmpdir(), `forkscope-cpython-${process.pid}-${i}.forkscope`);
        try {
          // From a neutral folder: some of its tests start fresh interpreters that import the standard
          // library's `test` package, which this repo's own test/ package would shadow from the repo root.
          const [code, text] = await capture(
            process.execPath,
            [
              join(root, 'dist', 'cli.js'),
              'record',
              '--quiet',
              '--out',
              out,
              '--python',
              process.env.FORKSCOPE_TEST_PYTHON || 'python3',
              '--',
              join(root, 'test', 'python', 'cpython_mp_suite.py'),
              '--inner',
              '--method',
              'fork',
              '--shard',
              `${i}/${n}`,
            ],
            { cwd: tmpdir(), quiet: true },
          );
          console.log(`\n--- shard ${i} of ${n} ---\n`);
          process.stdout.write(text);
          const m = text.match(/^SUITE fork: (\d+) tests, (\d+) failures, (\d+) errors, (\d+) skipped, runtime=(\w+)/m);
          if (!m || m[5] !== 'True') return { passed: 0, failed: 1, skipped: 0 };
          const [ran, failures, errors, skipped] = m.slice(1, 5).map(Number);
          const c = { passed: ran - failures - errors - skipped, failed: failures + errors, skipped };
          if (code !== 0 && c.failed === 0) c.failed = 1;
          return c;
        } finally {
          rmSync(out, { force: true });
        }
      };
      return addUp(await Promise.all([shard(1, 2), shard(2, 2)]));
    },
  },
  {
    name: 'browser',
    title: 'Inspector in headless Chromium, on reports of real recorded runs',
    async run() {
      ensureApt({ '/usr/bin/chromium': 'chromium' });
      ensureJoblib();
      ensureDask();
      // Two files at a time (each drives its own Chromium; about 145 s instead of 160 s here), but for the lessons of
      // the samples and the states and memory view, which are about the machine's cores and time: those run alone.
      const alone = ['samples.test.js', 'states.test.js'];
      const files = readdirSync(join(root, 'out', 'test', 'browser')).filter((f) => f.endsWith('.test.js'));
      return nodeTests(
        [
          [2, files.filter((f) => !alone.includes(f))],
          [1, files.filter((f) => alone.includes(f))],
        ],
        'browser',
      );
    },
  },
  {
    name: 'vscode',
    title: 'The extension inside a real VS Code (desktop, or code-server in headless Chromium)',
    async run() {
      const [code, out] = await capture(process.execPath, [join(root, 'scripts', 'test-vscode.mjs')]);
      const last = out.trim().split('\n').pop() ?? '';
      let c = { passed: 0, failed: 0, skipped: 0 };
      try {
        c = JSON.parse(last);
      } catch {
        /* no counts: the run itself failed */
      }
      if (code !== 0 && c.failed === 0) c.failed = 1;
      return c;
    },
  },
];

ensureNodeModules();
run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--tests']);
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.', '--noEmit']);
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'core', '--noEmit']);

const total = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
for (const layer of layers) {
  if (only && !only.has(layer.name)) continue;
  console.log(`\n=== ${layer.name}: ${layer.title} ===\n`);
  const started = Date.now();
  const c = await layer.run();
  for (const k of Object.keys(total)) total[k] += c[k];
  lines.push(
    `${layer.name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
}
console.log('\n=== summary ===');
for (const l of lines) console.log(l);
console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exitCode = total.failed > 0 || total.passed === 0 ? 1 : 0;
