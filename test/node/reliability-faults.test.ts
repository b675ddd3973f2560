/**
 * Faults (issue 5, docs/reliability.md): a stop that has to escalate to
 * SIGKILL, children that end abruptly, the supervisor killed mid-run (CLI and
 * --ipc), the extension host dying under a run, and recordings that are cut,
 * foreign or too new, read through the CLI. Real Python, real signals.
 */

import assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, test } from 'node:test';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording, RECORDING_VERSION } from '../../core/model/recording';
import { summarize } from '../../core/summary/summary';
import { killLeftovers, plainRaw, recordRaw, RSCRIPTS, runRaw, tmpDir, until } from './reliabilitySupport';
import { alive, CLI, PYTHON, startMethods } from './support/run';

const methods = startMethods();
const richest = methods.includes('forkserver') ? 'forkserver' : methods[0];

afterEach(killLeftovers);

function pidsOf(recordingText: string): { pid: number; role: string; name: string }[] {
  const rec = parseRecording(recordingText);
  return RunReducer.fromRecords(rec.header, rec.records).processes.map((p) => ({ pid: p.pid, role: p.role, name: p.name }));
}

test(`Stop escalates from SIGTERM to SIGKILL: a child ignoring SIGTERM, the Manager server, forkserver and resource tracker all end (${richest})`, async () => {
  const dir = tmpDir('stubborn');
  const out = path.join(dir, 'run.forkscope');
  try {
    let stdout = '';
    let stopAt = 0;
    const r = await runRaw(process.execPath, [CLI, 'record', '--out', out, '--python', PYTHON, '--', 'stubborn.py', richest], {
      onStdout: (d) => (stdout += d.toString()),
      onStart: (child) => {
        void until('ready', () => stdout.includes('ready')).then(async () => {
          await new Promise((res) => setTimeout(res, 300));
          stopAt = Date.now();
          child.kill('SIGTERM');
        });
      },
    });
    const took = Date.now() - stopAt;
    const procs = pidsOf(fs.readFileSync(out, 'utf8'));
    const roles = new Set(procs.map((p) => p.role));
    for (const role of ['main', 'process', 'manager', ...(richest === 'fork' ? [] : ['forkserver', 'resource-tracker'])])
      assert.ok(roles.has(role), `a ${role} was recorded: ${[...roles]}`);
    assert.ok(procs.some((p) => p.name === 'stubborn'));
    await new Promise((res) => setTimeout(res, 200));
    assert.deepEqual(
      procs.filter((p) => alive(p.pid)),
      [],
      'nothing of the run is left, the SIGTERM-proof child included',
    );
    // The child ignores SIGTERM: that it is gone proves the SIGKILL; all within a few seconds (generous on a busy machine).
    assert.ok(took < 10_000, `stopped in ${took} ms`);
    const last = parseRecording(fs.readFileSync(out, 'utf8')).records.at(-1)!;
    assert.equal(last[0], 'end');
    assert.equal((last[2] as { stopped: boolean }).stopped, true);
    assert.ok(r.signal === 'SIGTERM' || r.code === 143, `forkscope ended like the script: ${r.code} ${r.signal}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

for (const method of methods.filter((m) => m !== 'forkserver')) {
  test(`children that end by os._exit, SIGKILL or SIGTERM keep the messages they sent and their exit codes (${method})`, async () => {
    const r = await recordRaw(['abrupt.py', method]);
    assert.equal(r.code, 0, r.stderr.toString());
    assert.equal(r.stdout.toString(), "30 ['exit', 'kill', 'term'] [5, -9, -15]\n");
    const s = r.summary;
    const by = Object.fromEntries(s.processes.map((p) => [p.name, p]));
    assert.equal(by.exit.exitCode, 5);
    assert.equal(by.kill.exitCode, -9);
    assert.equal(by.term.exitCode, -15);
    const q = s.channels.find((c) => c.kind === 'queue')!;
    assert.equal(q.messages, 30);
    for (const name of ['exit', 'kill', 'term'])
      assert.equal(q.flows.find((f) => f.from === by[name].pid)?.messages, 10, `${name}'s 10 messages`);
    // Three spawn children start at once: on a loaded 2-core machine their imports can keep more
    // processes busy than there are cores for long enough to say so (too-many-processes, true then).
    assert.deepEqual(
      s.warnings.map((w) => w.kind).filter((k) => k !== 'too-many-processes'),
      [],
      'no warning (no false "left running")',
    );
  });
}

test('the supervisor killed with SIGKILL mid-run (CLI): the script runs to its end unchanged and the recording so far loads', async () => {
  const plain = await plainRaw(['outlive.py', 'spawn']);
  const dir = tmpDir('sigkill');
  const out = path.join(dir, 'run.forkscope');
  try {
    let seen = '';
    let mainPid = 0;
    const r = await runRaw(process.execPath, [CLI, 'record', '--out', out, '--python', PYTHON, '--', 'outlive.py', 'spawn'], {
      onStdout: (d) => (seen += d.toString()),
      onStart: (child) => {
        void until('the first results', () => seen.includes('got 10')).then(() => {
          mainPid = pidsOf(fs.readFileSync(out, 'utf8')).find((p) => p.role === 'main')!.pid;
          child.kill('SIGKILL');
        });
      },
    });
    assert.equal(r.signal, 'SIGKILL');
    // The script shares the terminal's stdio, not the supervisor's: it goes on and its output is complete.
    await until('the script to end', () => !alive(mainPid), 60_000);
    await until('its output to be complete', () => seen.includes('total'), 10_000);
    assert.equal(seen, plain.stdout.toString());
    const summary = await runRaw(process.execPath, [CLI, 'summary', out]);
    assert.equal(summary.code, 0, summary.stderr.toString());
    assert.match(summary.stdout.toString(), /worker-0 \[pid \d+\]/);
    assert.match(summary.stdout.toString(), /\[recording-unfinished\][^\n]*\n\s+.*has no end record/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the supervisor killed with SIGKILL mid-run (--ipc, as the extension runs it): the script runs on, its output still reaches the parent', async () => {
  const plain = await plainRaw(['outlive.py', 'spawn']);
  const dir = tmpDir('ipckill');
  const out = path.join(dir, 'run.forkscope');
  const child = fork(CLI, ['record', '--ipc', '--quiet', '--out', out, '--python', PYTHON, '--', 'outlive.py', 'spawn'], {
    cwd: RSCRIPTS,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stdout = '';
  let stderr = '';
  let mainPid = 0;
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  child.on('message', (m: { type: string; records?: [string, number, number][] }) => {
    for (const rec of m.records ?? []) if (rec[0] === 'spawned') mainPid = rec[2];
  });
  const closed = new Promise<void>((res) => child.stdout!.on('close', () => res()));
  try {
    await until('the first results', () => stdout.includes('got 10'));
    assert.ok(mainPid > 0);
    child.kill('SIGKILL');
    await new Promise<void>((res) => child.once('exit', () => res()));
    assert.ok(alive(mainPid), 'the script outlives its supervisor');
    await closed; // the pipe closes when the script's last process is gone
    assert.equal(stdout, plain.stdout.toString(), 'every line, no broken pipe');
    assert.equal(stderr, plain.stderr.toString());
    assert.ok(!alive(mainPid));
    assert.ok(parseRecording(fs.readFileSync(out, 'utf8')).records.length > 3, 'the recording so far loads');
  } finally {
    for (const pid of [mainPid, child.pid!]) {
      try {
        if (pid) process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A stand-in extension host: forks `record --ipc` as the extension does and reports the pids it hears of. */
const FAKE_HOST = `
const { fork } = require('node:child_process');
const [cli, python, out, script, method] = process.argv.slice(2);
const c = fork(cli, ['record', '--ipc', '--quiet', '--out', out, '--python', python, '--', script, method], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
process.stdout.write('supervisor ' + c.pid + '\\n');
c.on('message', (m) => { for (const r of m.records || []) if (r[0] === 'hello') process.stdout.write('pid ' + r[2] + '\\n'); });
`;

test('the extension host dying (SIGKILL) under a live run: the supervisor stops the whole tree, SIGTERM-proof child included', async () => {
  const dir = tmpDir('host');
  const out = path.join(dir, 'run.forkscope');
  const hostJs = path.join(dir, 'host.js');
  fs.writeFileSync(hostJs, FAKE_HOST);
  const host = spawn(process.execPath, [hostJs, CLI, PYTHON, out, 'stubborn.py', methods[0]], {
    cwd: RSCRIPTS,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  host.stdout.on('data', (d) => (text += d));
  const pids = () => [...text.matchAll(/^pid (\d+)$/gm)].map((m) => Number(m[1]));
  try {
    await until('ready', () => text.includes('ready'));
    await until('main, child and Manager server', () => pids().length >= 3);
    host.kill('SIGKILL');
    await until('every process of the run to be gone', () => pids().every((p) => !alive(p)), 15_000);
    const supervisor = Number(/^supervisor (\d+)$/m.exec(text)![1]);
    await until('the supervisor to finish', () => !alive(supervisor), 15_000);
    const rec = parseRecording(fs.readFileSync(out, 'utf8'));
    const end = rec.records.at(-1)!;
    assert.equal(end[0], 'end', 'the supervisor finished the recording');
    assert.equal((end[2] as { stopped: boolean }).stopped, true);
    assert.ok(summarize(RunReducer.fromRecords(rec.header, rec.records)).processes.some((p) => p.name === 'stubborn'));
  } finally {
    for (const p of pids()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('forkscope summary: a cut recording loads to the cut; a foreign file and a newer version get one line naming the file, no stack trace', async () => {
  const r = await recordRaw(['abrupt.py', methods[0]]);
  const dir = tmpDir('files');
  try {
    const cut = path.join(dir, 'cut.forkscope');
    fs.writeFileSync(cut, r.recordingText.slice(0, Math.floor(r.recordingText.length * 0.7)));
    const c = await runRaw(process.execPath, [CLI, 'summary', cut]);
    assert.equal(c.code, 0, c.stderr.toString());
    assert.match(c.stdout.toString(), /\[recording-truncated\][^\n]*\n\s+.*cut\.forkscope ends mid-line/);
    assert.match(c.stdout.toString(), /MainProcess \[pid \d+\]/);

    const cases: [string, string | Buffer, RegExp][] = [
      ['notes.txt', 'just some notes\n', /notes\.txt is not a Forkscope recording/],
      ['image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff, 0xfe, 10, 0, 0]), /image\.png is not a Forkscope recording/],
      ['empty.forkscope', '', /empty\.forkscope/],
      [
        'newer.forkscope',
        r.recordingText.replace(`"version":${RECORDING_VERSION}`, `"version":${RECORDING_VERSION + 1}`),
        /newer\.forkscope .*newer than this Forkscope reads/,
      ],
    ];
    for (const [name, content, message] of cases) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      for (const cmd of [
        ['summary', file],
        ['summary', file, '--json'],
        ['report', file, '--html', path.join(dir, 'x.html')],
      ]) {
        const x = await runRaw(process.execPath, [CLI, ...cmd]);
        const err = x.stderr.toString();
        assert.equal(x.code, 2, `${cmd.join(' ')}: ${err}`);
        assert.equal(x.stdout.length, 0);
        assert.match(err, message);
        assert.equal(err.trim().split('\n').length, 1, `one line: ${err}`);
        assert.doesNotMatch(err, /\n\s+at |Error:/, 'no stack trace');
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--ipc: a process the script leaves running stays running after the run ends, as without Forkscope', async () => {
  const dir = tmpDir('leaves');
  const out = path.join(dir, 'run.forkscope');
  const child = fork(CLI, ['record', '--ipc', '--quiet', '--out', out, '--python', PYTHON, '--', 'leaves_child.py'], {
    cwd: RSCRIPTS,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  let left = 0;
  try {
    const end = await new Promise<{ summary: { warnings: { kind: string }[] } }>((res) =>
      child.on('message', (m: { type: string; result?: never }) => m.type === 'end' && res(m.result!)),
    );
    await new Promise<void>((res) => child.once('exit', () => res()));
    left = Number(/^child (\d+)$/m.exec(stdout)?.[1]);
    assert.ok(
      end.summary.warnings.some((w) => w.kind === 'left-running'),
      'a warning names it',
    );
    await new Promise((res) => setTimeout(res, 500));
    assert.ok(left > 0 && alive(left), 'the supervisor ending (and letting go of its IPC channel) did not stop it');
  } finally {
    try {
      if (left) process.kill(left, 'SIGKILL');
    } catch {
      /* gone */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
