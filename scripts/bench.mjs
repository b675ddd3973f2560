// `npm run bench`: what instrumentation costs, measured in one run and written
// to bench-results/runtime.json. Plain and recorded runs are interleaved
// (alternating which goes first) so machine noise hits both alike. Each line
// gives the wall-time ratio, the CPU-time ratio of the whole process tree
// (Linux: less sensitive to other load; every run goes through
// bench/measure.py, so processes a run leaves behind count too) and the load
// average: on a busy machine wall ratios are noise. The fixed start-up of `forkscope record`
// (an empty script, recorded vs plain) is printed on its own line, and under
// the flood its floor: the same flood with only a bare counting hook on each
// end and no Forkscope (bench/queue_flood_floor.py), alone and started by a
// Node process that does nothing else (the floor of any recorder whose
// supervisor is Node: the hooks plus Node's own start), and that again with a
// thread in each process that wakes every 20 ms and does nothing (the floor of
// a recorder with a periodic thread, as Forkscope's flusher).
// The joblib line runs Debian's joblib with /usr/bin/python3 (FORKSCOPE_JOBLIB_PYTHON), the real
// binary, against the same CPU-bound work as the Pool line; it is skipped, saying why, when joblib
// cannot be imported there. `--only joblib` runs just that line. Beside it, the same work on a spawn
// Pool with the same interpreter: loky starts its workers the same way (a fresh interpreter each).
// The dask line (10,000 tiny tasks on a LocalCluster of 2 worker processes, bench/dask_tasks.py) runs
// Debian's python3-distributed with the same interpreter, recorded ÷ plain, and gives the added cost
// per task (what Forkscope's scheduler plugin and the workers' runtime add); `--only dask` runs just it.
// `--only flood` runs the flood, its floors and what one Queue message costs each end in instructions (bench/msg_cost.py,
// under valgrind's callgrind, installed from Debian when missing); `--only startup` the start-up row alone; `--only pool` the Pool row.
//   node scripts/bench.mjs [--rounds N] [--quick] [--only joblib|dask|flood|startup|pool]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureApt, ensureNodeModules, root, run } from './lib/ensure.mjs';

const quick = process.argv.includes('--quick');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || (quick ? 3 : 7);
// The real interpreter binary, resolved once from any shim in front of it (pyenv's adds 50-800 ms to every
// start): plain and recorded runs both start it directly, so neither pays the shim.
const python = (() => {
  const named = process.env.FORKSCOPE_PYTHON || 'python3';
  const r = spawnSync(named, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  const exe = r.status === 0 ? r.stdout.trim() : '';
  return exe || named;
})();
const cli = join(root, 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'forkscope-bench-'));
const onlyJoblib = process.argv[process.argv.indexOf('--only') + 1] === 'joblib' && process.argv.includes('--only');
const joblibPython = process.env.FORKSCOPE_JOBLIB_PYTHON || '/usr/bin/python3';
// The start-up row's second interpreter (startup): Debian's, when it is another binary than the main line's.
const SECOND_PYTHON = (() => {
  const exe = spawnSync(joblibPython, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  if (exe.status !== 0) return null;
  const real = (p) => (existsSync(p) ? realpathSync(p) : p);
  return real(exe.stdout.trim()) === real(python) ? null : exe.stdout.trim();
})();
const onlyDask = process.argv[process.argv.indexOf('--only') + 1] === 'dask' && process.argv.includes('--only');
const onlyFlood = process.argv[process.argv.indexOf('--only') + 1] === 'flood' && process.argv.includes('--only');
const onlyStartup = process.argv[process.argv.indexOf('--only') + 1] === 'startup' && process.argv.includes('--only');
const onlyPool = process.argv[process.argv.indexOf('--only') + 1] === 'pool' && process.argv.includes('--only');
// The bench's own cache folder: its code cache, and the warm supervisor that records its runs as a user's later
// runs are recorded (docs/cli.md, "The warm supervisor"). Started by the bench, stopped by pid at its end.
// `coldEnv` runs without one (a first run, or FORKSCOPE_WARM=0): Node is started for the run.
const cacheDir = join(work, 'cache');
const warmEnv = { ...process.env, FORKSCOPE_CACHE_DIR: cacheDir, FORKSCOPE_WARM: '1' };
const coldEnv = { ...process.env, FORKSCOPE_CACHE_DIR: cacheDir, FORKSCOPE_WARM: '0' };
let warmPid = null;
const DASK_TASKS = 10_000;
// Issue 16's flood: 4 producers, 200,000 small messages to one consumer (about 0.7 s plain here).
const FLOOD_MESSAGES = 200_000;

ensureNodeModules();
run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--bench']);

const loadAverage = () => loadavg()[0];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The q-quantile of xs, interpolated between the sorted values (q = 0.25, 0.75: the middle half's ends). */
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return lo + 1 < s.length ? s[lo] + (s[lo + 1] - s[lo]) * (at - lo) : s[lo];
};

/** CPU seconds a process has used so far (Linux; null without /proc): the warm supervisor's, around a run. */
function processCpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (USER_HZ, 100 on Linux)
  } catch {
    return null;
  }
}

/** Starts the bench's warm supervisor in its cache folder (as a cold run would leave it); its pid. */
async function startWarm() {
  const socket = join(cacheDir, 'warm.sock');
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const child = spawn(process.execPath, ['--v8-pool-size=1', cli, 'serve', '--warm', socket], {
    cwd: '/',
    detached: true,
    stdio: 'ignore',
    env: coldEnv,
  });
  child.unref();
  const t0 = Date.now();
  while (!existsSync(socket)) {
    if (Date.now() - t0 > 20_000) throw new Error('the warm supervisor did not start');
    await new Promise((r) => setTimeout(r, 10));
  }
  return child.pid;
}

/**
 * Runs a command through bench/measure.py and returns its wall seconds (from its start to its exit) and the CPU
 * seconds of its whole process tree, the processes it leaves behind included (a joblib run's resource trackers
 * outlive its main by a few ms: counted from this process's own children, plain runs missed their 0.25-0.3 s
 * while the recording counted them). With `peakRss`, it is started directly and its own peak RSS is polled.
 */
function timed(cmd, args, { peakRss = false, env = process.env } = {}) {
  // A warm run's supervisor is not in the command's process tree: its CPU during the run is added.
  const daemon = cmd === cli && env.FORKSCOPE_WARM !== '0' ? warmPid : null;
  const daemonCpu0 = daemon ? processCpu(daemon) : null;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = peakRss
      ? spawn(cmd, args, { cwd: join(root, 'bench'), env, stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn(python, [join(root, 'bench', 'measure.py'), '3', cmd, ...args], {
          cwd: join(root, 'bench'),
          env,
          stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
        });
    let out = '';
    let measured = '';
    let peak = 0;
    child.stdout.on('data', (d) => (out += d));
    if (!peakRss) child.stdio[3].on('data', (d) => (measured += d));
    const poll = peakRss
      ? setInterval(() => {
          try {
            const m = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
            if (m) peak = Math.max(peak, Number(m[1]) * 1024);
          } catch {}
        }, 50)
      : null;
    child.on('error', reject);
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`));
      const m = peakRss ? null : JSON.parse(measured);
      const daemonCpu1 = daemon ? processCpu(daemon) : null;
      const added = daemonCpu0 !== null && daemonCpu1 !== null ? daemonCpu1 - daemonCpu0 : 0;
      resolve({
        seconds: m ? m.wall : Number(process.hrtime.bigint() - t0) / 1e9,
        cpuSeconds: m ? m.cpu + added : null,
        out,
        peakRss: peak,
      });
    });
  });
}

// Recorded runs start dist/cli.js as the `forkscope` executable, as a user's shell does (its first lines are the
// launcher's; `node dist/cli.js` would skip them).
const recordArgs = (script, args, py = python) => [
  'record',
  '--quiet',
  '--out',
  join(work, 'b.forkscope'),
  '--python',
  py,
  '--',
  script,
  ...args,
];

async function compare(name, script, args, target, n = rounds, python_ = python, env = warmEnv) {
  const python = python_; // (the joblib line runs another interpreter)
  const plain = [];
  const recorded = [];
  const ratios = [];
  const plainCpu = [];
  const recordedCpu = [];
  const scriptCpu = [];
  const loads = [];
  // One warm-up of each (page cache, pyc files).
  await timed(python, [script, ...args], { env });
  await timed(cli, recordArgs(script, args, python), { env });
  for (let i = 0; i < n; i++) {
    const order = i % 2 ? ['rec', 'plain'] : ['plain', 'rec'];
    const pair = {};
    for (const which of order) {
      const r =
        which === 'plain' ? await timed(python, [script, ...args], { env }) : await timed(cli, recordArgs(script, args, python), { env });
      pair[which] = r;
    }
    if (pair.plain.out !== pair.rec.out) throw new Error(`${script}: the output differs under forkscope record`);
    plain.push(pair.plain.seconds);
    recorded.push(pair.rec.seconds);
    ratios.push(pair.rec.seconds / pair.plain.seconds);
    if (pair.plain.cpuSeconds !== null && pair.rec.cpuSeconds !== null) {
      plainCpu.push(pair.plain.cpuSeconds);
      recordedCpu.push(pair.rec.cpuSeconds);
      const own = scriptProcessesCpu();
      if (own !== null) scriptCpu.push(own);
    }
    loads.push(loadAverage());
  }
  const cpuRatio = plainCpu.length && median(plainCpu) > 0 ? median(recordedCpu) / median(plainCpu) : null;
  // The recorded tree's CPU split: the script's own processes (their exit accounting, from the
  // recording) and the rest: the supervisor (Node: its start, ingest, the sampler), and what each
  // process spends after its exit accounting (the interpreter's teardown, the kernel's exit: in a
  // joblib run 50-80 ms a process, so `perf` finds Node at about half of this rest).
  const scriptCpuRatio = scriptCpu.length === plainCpu.length && plainCpu.length ? median(scriptCpu) / median(plainCpu) : null;
  const supervisorCpu =
    scriptCpu.length === recordedCpu.length && recordedCpu.length ? median(recordedCpu.map((c, i) => c - scriptCpu[i])) : null;
  const summary = {
    name,
    script,
    args,
    rounds: n,
    plainSeconds: plain,
    recordedSeconds: recorded,
    medianPlain: median(plain),
    medianRecorded: median(recorded),
    ratio: median(recorded) / median(plain),
    medianPairRatio: median(ratios),
    // How much the machine itself varies: the middle half of the pairs' ratios, and of the plain runs
    // (as a share of their median). A difference inside these is not measured by one run of the bench.
    pairRatioMiddleHalf: [quantile(ratios, 0.25), quantile(ratios, 0.75)],
    plainSpread: (quantile(plain, 0.75) - quantile(plain, 0.25)) / median(plain),
    plainCpuSeconds: plainCpu,
    recordedCpuSeconds: recordedCpu,
    cpuRatio,
    scriptCpuSeconds: scriptCpu,
    scriptCpuRatio,
    supervisorCpuSeconds: supervisorCpu,
    loadAverage: { min: Math.min(...loads), median: median(loads), max: Math.max(...loads) },
    target,
  };
  const load = `load ${summary.loadAverage.median.toFixed(1)} (${summary.loadAverage.min.toFixed(1)}–${summary.loadAverage.max.toFixed(1)})`;
  const split =
    scriptCpuRatio === null || supervisorCpu === null
      ? ''
      : ` (the script's processes ${scriptCpuRatio.toFixed(3)}, the supervisor and the processes' teardown ${(supervisorCpu * 1000).toFixed(0)} ms)`;
  const cpu = cpuRatio === null ? '' : `; CPU ratio ${cpuRatio.toFixed(3)}${split}`;
  const goal = target === null ? '' : `; target ≤ ${target}`;
  // What the run costs beyond the CLI's fixed start-up (measured first, on its own line).
  if (fixedStartup !== null && target !== null) summary.ratioNetOfStartup = (summary.medianRecorded - fixedStartup) / summary.medianPlain;
  const net = summary.ratioNetOfStartup === undefined ? '' : `; ${summary.ratioNetOfStartup.toFixed(3)} without the fixed start-up`;
  console.log(
    `${name}: plain ${summary.medianPlain.toFixed(3)} s, recorded ${summary.medianRecorded.toFixed(3)} s → ratio ${summary.ratio.toFixed(3)} (median of pairs ${summary.medianPairRatio.toFixed(3)}, middle half ${summary.pairRatioMiddleHalf.map((r) => r.toFixed(3)).join('–')}; plain runs vary ${(100 * summary.plainSpread).toFixed(0)} %${cpu}${net}${goal}; ${load})`,
  );
  return summary;
}

let fixedStartup = null;

/** CPU seconds of the recorded run's own processes (each one's exit accounting), null when any is unknown. */
function scriptProcessesCpu() {
  const r = spawnSync(process.execPath, [cli, 'summary', join(work, 'b.forkscope'), '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) return null;
  const procs = JSON.parse(r.stdout).processes;
  if (procs.some((p) => typeof p.cpuSeconds !== 'number')) return null;
  return procs.reduce((n, p) => n + p.cpuSeconds, 0);
}

/**
 * The fixed cost of `forkscope record`: an empty script recorded vs plain, with the interpreter `py`. Warm (this
 * user's warm supervisor records it: a user's every run after the first) and cold (Node started for the run: the
 * first run, FORKSCOPE_WARM=0), and the floor of any supervisor started per run. How much of a cold run's Node
 * the script hides depends on how long Python itself takes to start: the main line's interpreter (a pyenv build
 * here) imports a sandbox's certifi hook from a .pth file at every start (30-40 ms), so the row is run again with
 * SECOND_PYTHON, which starts in less than half that time, as a Python without such hooks does.
 */
async function startup(n, py = python) {
  const s = await compare(`Start-up, warm (empty script, ${py})`, 'empty.py', [], null, n, py, warmEnv);
  s.cold = await compare(`Start-up, cold (empty script, ${py})`, 'empty.py', [], null, n, py, coldEnv);
  // Node alone as the launcher starts it (without NODE_EXTRA_CA_CERTS), and as this environment would.
  const bare = { ...process.env };
  delete bare.NODE_EXTRA_CA_CERTS;
  const node = [];
  const nodeWithCerts = [];
  // The floor of any supervisor started per run in Node: the empty script and a Node that does nothing started
  // side by side (the supervisor entirely off the script's way), against the plain script, interleaved. A cold
  // command cannot end before its supervisor has (it writes the recording), so Node's own start and exit bound it.
  const beside = [];
  const plain = [];
  // The same run with Node started first, and Python by Node (FORKSCOPE_NODE_FIRST=1, as before the launcher
  // started Python first; still the way for the forms the launcher leaves to Node).
  const nodeFirst = [];
  for (let i = 0; i < n; i++) {
    node.push((await timed(process.execPath, ['-e', '0'], { env: bare })).seconds);
    if (process.env.NODE_EXTRA_CA_CERTS) nodeWithCerts.push((await timed(process.execPath, ['-e', '0'])).seconds);
    beside.push((await timed('sh', ['-c', '"$0" empty.py & "$1" -e 0; wait', py, process.execPath], { env: bare })).seconds);
    nodeFirst.push((await timed(cli, recordArgs('empty.py', [], py), { env: { ...coldEnv, FORKSCOPE_NODE_FIRST: '1' } })).seconds);
    plain.push((await timed(py, ['empty.py'], { env: bare })).seconds);
  }
  s.fixedSeconds = s.medianRecorded - s.medianPlain;
  s.coldFixedSeconds = s.cold.medianRecorded - s.cold.medianPlain;
  if (py === python) fixedStartup = s.fixedSeconds; // (the later rows run the main line's interpreter, warm)
  s.nodeAloneSeconds = median(node);
  s.nodeBesideFloorSeconds = median(beside) - median(plain);
  s.nodeFirstFixedSeconds = median(nodeFirst) - median(plain);
  s.nodeWithCertsSeconds = nodeWithCerts.length ? median(nodeWithCerts) : null;
  const ca = nodeWithCerts.length
    ? ` (${(s.nodeWithCertsSeconds * 1000).toFixed(0)} ms with this environment's NODE_EXTRA_CA_CERTS, which the launcher keeps from Node)`
    : '';
  console.log(
    `  fixed start-up of forkscope record, warm (recorded by the warm supervisor): ${(s.fixedSeconds * 1000).toFixed(0)} ms (target ≤ 50 ms)`,
  );
  console.log(
    `  cold (Node started for the run, Python first: a first run, FORKSCOPE_WARM=0): ${(s.coldFixedSeconds * 1000).toFixed(0)} ms; starting Node itself takes ${(s.nodeAloneSeconds * 1000).toFixed(0)} ms${ca}`,
  );
  console.log(
    `  floor of any supervisor started per run in Node: ${(s.nodeBesideFloorSeconds * 1000).toFixed(0)} ms (the empty script with \`node -e 0\` started beside it, over the plain script)`,
  );
  console.log(
    `  the same run with Node first (FORKSCOPE_NODE_FIRST=1, the forms the launcher leaves to Node): ${(s.nodeFirstFixedSeconds * 1000).toFixed(0)} ms`,
  );
  return s;
}

// A Node process that starts its arguments as a command and exits with its code, doing nothing else: the part of
// a supervisor no Node-based recorder can do without (Node's own start, about 50 ms of CPU here).
const BARE_NODE_PARENT =
  'require("node:child_process").spawn(process.argv[1], process.argv.slice(2), { stdio: "inherit" }).on("exit", (c) => process.exit(c ?? 1))';

/**
 * The floors, interleaved with plain queue_flood.py: queue_flood_floor.py (a bare counting hook on each end, no
 * Forkscope), and the same started by a bare Node parent (BARE_NODE_PARENT): what any recorder that counts per
 * sender and is supervised by Node must cost at least; and that with FLOOR_TICK_MS=20 (each process wakes a thread
 * every 20 ms that does nothing: the least a periodic flusher costs). The recorded flood runs in the same rounds, so
 * that it and its floors are over the same plain runs: the flood row's own rounds and these can be minutes apart, and
 * on a virtual machine the plain flood's time moves by more than the gaps between them.
 */
async function floor(n) {
  const args = [String(FLOOD_MESSAGES), '4'];
  const runs = { plain: [], recorded: [], hooked: [], node: [], ticked: [] };
  const cpu = { plain: [], recorded: [], hooked: [], node: [], ticked: [] };
  const command = {
    plain: [python, ['queue_flood.py', ...args]],
    recorded: [cli, recordArgs('queue_flood.py', args, python), { env: warmEnv }],
    hooked: [python, ['queue_flood_floor.py', ...args]],
    node: [process.execPath, ['-e', BARE_NODE_PARENT, python, 'queue_flood_floor.py', ...args]],
    // ...and each process with a thread that wakes every 20 ms and does nothing (the flusher's tick, bare).
    ticked: [
      process.execPath,
      ['-e', BARE_NODE_PARENT, python, 'queue_flood_floor.py', ...args],
      { env: { ...process.env, FLOOR_TICK_MS: '20' } },
    ],
  };
  await timed(...command.hooked);
  await timed(...command.node);
  await timed(...command.ticked);
  const kinds = Object.keys(command);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < kinds.length; k++) {
      const which = kinds[(k + i) % kinds.length];
      const r = await timed(...command[which]);
      runs[which].push(r.seconds);
      if (r.cpuSeconds !== null) cpu[which].push(r.cpuSeconds);
    }
  }
  const ratio = median(runs.hooked) / median(runs.plain);
  const recordedRatio = median(runs.recorded) / median(runs.plain);
  const nodeRatio = median(runs.node) / median(runs.plain);
  const tickedRatio = median(runs.ticked) / median(runs.plain);
  const cpuRatio = (k) => (cpu[k].length ? median(cpu[k]) / median(cpu.plain) : null);
  const fmt = (x) => (x === null ? 'n/a' : x.toFixed(3));
  const spread = (xs) => (quantile(xs, 0.75) - quantile(xs, 0.25)) / median(xs);
  console.log(
    `  in the floors' rounds (the same plain runs): recorded ${recordedRatio.toFixed(3)}, CPU ${fmt(cpuRatio('recorded'))} (${median(runs.recorded).toFixed(3)} s)`,
  );
  console.log(
    `  floor: the same flood with only a bare counting hook on each end (no Forkscope): ratio ${ratio.toFixed(3)}, CPU ${fmt(cpuRatio('hooked'))} (plain ${median(runs.plain).toFixed(3)} s, varying ${(100 * spread(runs.plain)).toFixed(0)} %; hooked ${median(runs.hooked).toFixed(3)} s)`,
  );
  console.log(
    `  floor under Node: the hooked flood started by a Node process that does nothing else: ratio ${nodeRatio.toFixed(3)}, CPU ${fmt(cpuRatio('node'))} (${median(runs.node).toFixed(3)} s)`,
  );
  console.log(
    `  floor under Node with a tick: the same, each process also waking a thread every 20 ms that does nothing: ratio ${tickedRatio.toFixed(3)}, CPU ${fmt(cpuRatio('ticked'))} (${median(runs.ticked).toFixed(3)} s)`,
  );
  return {
    plainSeconds: runs.plain,
    hookedSeconds: runs.hooked,
    ratio,
    plainSpread: spread(runs.plain),
    cpuRatio: cpuRatio('hooked'),
    underNode: { seconds: runs.node, ratio: nodeRatio, cpuRatio: cpuRatio('node') },
    underNodeTicked: { seconds: runs.ticked, ratio: tickedRatio, cpuRatio: cpuRatio('ticked') },
    recordedSameRounds: { seconds: runs.recorded, ratio: recordedRatio, cpuRatio: cpuRatio('recorded') },
  };
}

function inProcess(what, args = []) {
  const r = spawnSync(process.execPath, [join(root, 'out', 'bench', 'main.js'), what, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`bench ${what} failed`);
  return JSON.parse(r.stdout);
}

const results = {
  when: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    node: process.version,
    python: spawnSync(python, ['--version'], { encoding: 'utf8' }).stdout.trim(),
  },
  rounds,
};
/** joblib's Parallel (loky) on the Pool line's work, recorded ÷ plain, with Debian's interpreter and joblib. */
async function joblibLine() {
  const probe = spawnSync(joblibPython, ['-c', 'import joblib'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    console.log(`joblib Parallel: skipped (joblib cannot be imported by ${joblibPython}; apt-get install python3-joblib)`);
    return { skipped: `joblib cannot be imported by ${joblibPython}` };
  }
  const j = await compare('joblib Parallel, loky (2 workers, 64 calls)', 'joblib_cpu.py', ['2', '64'], 1.1, rounds, joblibPython);
  // Like for like: the same work on a Pool with the same interpreter, started as loky starts its
  // workers (a fresh interpreter each, and a resource tracker that the recording waits for at the end).
  const spawned = await compare(
    '  the same on Pool.map, spawn, same interpreter',
    'pool_cpu.py',
    ['2', '64', 'spawn'],
    null,
    rounds,
    joblibPython,
  );
  j.poolSpawnSameInterpreter = spawned;
  if (results.poolCpu?.ratio) j.poolRatio = results.poolCpu.ratio;
  console.log(
    `  joblib ratio ${j.ratio.toFixed(3)} against a spawn Pool's ${spawned.ratio.toFixed(3)} on ${joblibPython}` +
      (j.poolRatio ? ` and the fork Pool line's ${j.poolRatio.toFixed(3)}` : '') +
      ' (target: no more than a Pool run, ≤ 1.10)',
  );
  // The same two lines with Python's small-object allocator off (PYTHONMALLOC=malloc, plain and recorded
  // alike): what is left is the runtime's own work. A worker's CPU-bound loop can run ~10 % slower in one
  // heap state of pymalloc than in another, whatever put it there (docs/cli.md, "A worker's loop can run slower…").
  const malloc = { ...warmEnv, PYTHONMALLOC: 'malloc' };
  j.withSystemMalloc = await compare(
    '  joblib, PYTHONMALLOC=malloc on both sides',
    'joblib_cpu.py',
    ['2', '64'],
    null,
    rounds,
    joblibPython,
    malloc,
  );
  j.poolSpawnWithSystemMalloc = await compare(
    '  the spawn Pool, PYTHONMALLOC=malloc on both sides',
    'pool_cpu.py',
    ['2', '64', 'spawn'],
    null,
    rounds,
    joblibPython,
    malloc,
  );
  console.log(
    `  with the system allocator: joblib ${j.withSystemMalloc.ratio.toFixed(3)} against the spawn Pool's ` +
      `${j.poolSpawnWithSystemMalloc.ratio.toFixed(3)} (pymalloc's heap state set aside)`,
  );
  return j;
}

/** 10,000 tiny dask tasks on a LocalCluster, recorded ÷ plain, and the cost per task. */
async function daskLine() {
  const probe = spawnSync(joblibPython, ['-c', 'import distributed'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    console.log(`dask LocalCluster: skipped (distributed cannot be imported by ${joblibPython}; apt-get install python3-distributed)`);
    return { skipped: `distributed cannot be imported by ${joblibPython}` };
  }
  const d = await compare(
    `dask LocalCluster (2 worker processes, ${DASK_TASKS.toLocaleString('en')} tiny tasks)`,
    'dask_tasks.py',
    [String(DASK_TASKS), '2'],
    1.1,
    rounds,
    joblibPython,
  );
  d.tasks = DASK_TASKS;
  d.addedMillisecondsPerTask = ((d.medianRecorded - d.medianPlain) / DASK_TASKS) * 1000;
  console.log(`  added per task: ${(d.addedMillisecondsPerTask * 1000).toFixed(1)} µs (recorded − plain, medians, ÷ ${DASK_TASKS})`);
  return d;
}

/**
 * How fast each CPU runs one pure-Python loop now (seconds, median of 3, pinned with taskset), or null without
 * taskset. On a virtual machine the CPUs need not run at one speed, nor at a steady one (this one's two have
 * differed by 1.7x, and both changed by as much within minutes): a CPU-bound row's ratio moves with them,
 * whatever Forkscope costs. Printed beside the Pool row, before and after it.
 */
function cpuSpeeds() {
  const loop = 'import time\nt = time.perf_counter()\ns = 0\nfor i in range(3_000_000): s += i * i % 7\nprint(time.perf_counter() - t)';
  const out = [];
  for (let c = 0; c < cpus().length; c++) {
    const times = [];
    for (let k = 0; k < 3; k++) {
      const r = spawnSync('taskset', ['-c', String(c), python, '-c', loop], { encoding: 'utf8' });
      if (r.status !== 0) return null;
      times.push(Number(r.stdout.trim()));
    }
    out.push(+median(times).toFixed(3));
  }
  return out;
}

/**
 * What one Queue message costs each end in instructions (bench/msg_cost.py, under valgrind's callgrind): a get, and
 * a put with its feeder's pickling and send; plain, with the floor's bare counting hook, and recorded; the median of
 * a few memory layouts. Unlike the flood's wall time, the same figure on a busy machine as on an idle one, so a
 * change to the runtime's per-message path shows in it even where the flood cannot.
 */
function msgCost() {
  try {
    ensureApt({ valgrind: 'valgrind' });
  } catch (e) {
    console.log(`  (valgrind: ${e.message})`);
  }
  const r = spawnSync(python, [join(root, 'bench', 'msg_cost.py')], { encoding: 'utf8', cwd: join(root, 'bench') });
  if (r.status !== 0) {
    console.log(`  per message in instructions: not measured (${(r.stderr || '').trim().split('\n').pop()})`);
    return { error: (r.stderr || '').trim().slice(-2000) };
  }
  const g = JSON.parse(r.stdout.trim().split('\n').pop());
  if (g.skipped) {
    console.log(`  per message in instructions: skipped, ${g.skipped}`);
    return g;
  }
  const n = (x) => x.toLocaleString('en');
  console.log(`  per message in instructions (callgrind, Python ${g.python}, median of ${g.layouts} memory layouts):`);
  for (const [side, what] of [
    ['get', 'a Queue.get'],
    ['put', 'a put, then the feeder thread pickling and sending it'],
  ]) {
    const s = g[side];
    const i = s.instructions;
    console.log(
      `    ${what}: plain ${n(i.plain)}, bare hook ${n(i.floor)}, recorded ${n(i.recorded)} (${n(s.range.recorded[0])}–${n(s.range.recorded[1])}) → ` +
        `recorded ÷ plain ${s.recordedOverPlain.toFixed(3)}, bare hook ÷ plain ${s.floorOverPlain.toFixed(3)}, recorded ÷ bare hook ${s.recordedOverFloor.toFixed(3)}`,
    );
  }
  console.log(
    `    both ends: recorded ÷ plain ${g.both.recordedOverPlain.toFixed(3)}, bare hook ÷ plain ${g.both.floorOverPlain.toFixed(3)}`,
  );
  return g;
}

/** The CPU-bound Pool row, with each CPU's speed before and after it (cpuSpeeds). */
async function poolLine() {
  const before = cpuSpeeds();
  const p = await compare('CPU-bound Pool.map (2 workers, 64 tasks)', 'pool_cpu.py', ['2', '64'], 1.03);
  const after = cpuSpeeds();
  if (before && after) {
    p.cpuSpeeds = { before, after, loop: '3,000,000 iterations of s += i * i % 7, seconds, one per CPU' };
    console.log(`  each CPU's speed on one loop (s): before ${before.join(' / ')}, after ${after.join(' / ')}`);
  }
  return p;
}

try {
  warmPid = await startWarm();
  results.warmSupervisor =
    'the rows run warm (the bench starts a warm supervisor in its own cache folder), but for the cold start-up and the 1,000,000-message row';
  if (onlyDask) {
    results.dask = await daskLine();
    throw Object.assign(new Error('only dask'), { onlyJoblib: true });
  }
  if (onlyJoblib) {
    results.joblib = await joblibLine();
    throw Object.assign(new Error('only joblib'), { onlyJoblib: true });
  }
  if (onlyPool) {
    results.poolCpu = await poolLine();
    throw Object.assign(new Error('only pool'), { onlyJoblib: true });
  }
  results.startup = await startup(quick || onlyFlood ? 5 : 3 * rounds);
  if (SECOND_PYTHON) results.startupSecondPython = await startup(quick || onlyFlood ? 5 : 3 * rounds, SECOND_PYTHON);
  if (onlyStartup) throw Object.assign(new Error('only startup'), { onlyJoblib: true });
  results.queueFlood = await compare(
    `Queue flood (4 producers, ${FLOOD_MESSAGES.toLocaleString('en')} messages)`,
    'queue_flood.py',
    [String(FLOOD_MESSAGES), '4'],
    1.15,
  );
  results.queueFlood.floor = await floor(rounds);
  results.queueFlood.msgCost = msgCost();
  if (onlyFlood) throw Object.assign(new Error('only flood'), { onlyJoblib: true });
  results.poolCpu = await poolLine();
  results.joblib = await joblibLine();
  results.dask = await daskLine();

  const ingest = inProcess('ingest');
  results.ingest = { ...ingest, target: 300000 };
  console.log(
    `supervisor ingest: ${Math.round(ingest.eventsPerCpuSecond).toLocaleString('en')} events per CPU second (${Math.round(ingest.eventsPerWallSecond).toLocaleString('en')}/s wall; target ≥ 300,000/s on one core)`,
  );

  const start = inProcess('run-start', [cli, python]);
  results.runStart = { ...start, target: 'warm first event within 50 ms of the plain first line' };
  console.log(
    `run start from VS Code (empty script, as the extension starts it): plain first line ${start.plainFirstLineMs} ms; ` +
      `cold (Node forked per run) first line ${start.cold.firstLineMs} ms, first event ${start.cold.firstEventMs} ms; ` +
      `warm (a supervisor forked ahead) first line ${start.warm.firstLineMs} ms, first event ${start.warm.firstEventMs} ms ` +
      `(+${(start.warm.firstEventMs - start.plainFirstLineMs).toFixed(1)} ms over the script's own start; target ≤ 50 ms)`,
  );

  const sampler = inProcess('sampler');
  results.sampler = { ...sampler, target: 0.1 };
  console.log(
    `sampler: ${sampler.processes} processes every ${sampler.intervalMs} ms: ${(sampler.cpuShareOfOneCore * 100).toFixed(1)} % of one core (mean sample ${sampler.meanSampleMs.toFixed(2)} ms; target ≤ 10 %)`,
  );

  if (!quick) {
    // Cold: the supervisor is the command's own process, whose peak RSS is the run's alone.
    const flood = await timed(cli, recordArgs('queue_flood.py', ['1000000', '4']), { peakRss: true, env: coldEnv });
    const summary = JSON.parse(
      spawnSync(process.execPath, [cli, 'summary', join(work, 'b.forkscope'), '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout,
    );
    results.million = {
      seconds: flood.seconds,
      supervisorPeakRssBytes: flood.peakRss,
      target: 400 * 1024 * 1024,
      messages: summary.run.messages,
      detail: summary.run.detail,
    };
    console.log(
      `1,000,000 messages: supervisor peak RSS ${(flood.peakRss / 1048576).toFixed(0)} MB (target < 400 MB); ${summary.run.messages} messages counted; detail recorded ${summary.run.detail.recorded}, sampled out ${summary.run.detail.sampledOut}, batches dropped ${summary.run.detail.droppedBatches}`,
    );
  }
} catch (e) {
  if (!e?.onlyJoblib) throw e;
} finally {
  if (warmPid) {
    try {
      process.kill(warmPid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  rmSync(work, { recursive: true, force: true });
}
mkdirSync(join(root, 'bench-results'), { recursive: true });
const written = onlyJoblib
  ? 'joblib.json'
  : onlyDask
    ? 'dask.json'
    : onlyFlood
      ? 'flood.json'
      : onlyStartup
        ? 'startup.json'
        : onlyPool
          ? 'pool.json'
          : 'runtime.json'; // (--only leaves the full results alone)
writeFileSync(join(root, 'bench-results', written), JSON.stringify(results, null, 2) + '\n');
console.log(`written to bench-results/${written}`);
