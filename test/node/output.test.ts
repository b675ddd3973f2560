/**
 * Output per process, end to end: real Python runs under every start method,
 * the terminal's bytes identical to a plain run, each process's recorded
 * output in the model and the summary (`processes[].output`), and the VS Code
 * output channel's prefixing (AttributedLines, pure) over a real run's pipe
 * bytes and recording.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecording } from '../../core/model/recording';
import { AttributedLines, outputLabel } from '../../extension/vscode/outputLines';
import { channel } from './support/channel';
import { plainRun, record, startMethods } from './support/run';

for (const method of startMethods()) {
  test(`output under ${method}: same bytes, each process's lines its own, prefixed by writer`, async () => {
    const plain = await plainRun('output_three.py', [method, 'seq']);
    const r = await record('output_three.py', [method, 'seq']);
    assert.equal(r.stdout, plain.stdout);
    assert.equal(r.stderr, plain.stderr);
    assert.equal(r.code, plain.code);
    const byName = Object.fromEntries(r.model.processes.map((p) => [p.role === 'main' ? 'main' : p.name, p]));
    const sp = Object.fromEntries(r.summary.processes.map((p) => [p.role === 'main' ? 'main' : p.name, p]));
    // main: 6 lines, 3 err lines, the "big" line; a: 6 + 3; b: 6 + 3 + its traceback.
    assert.equal(sp.main.output.lines, 10);
    assert.equal(sp.a.output.lines, 9);
    assert.ok(sp.b.output.lines > 9 + 2, JSON.stringify(sp.b.output));
    assert.equal(sp.a.output.capped, false);
    assert.equal(sp.a.output.bytes, Buffer.byteLength('a line 0\n') * 6 + Buffer.byteLength('a err 1\n') * 3);
    const text = (name: string, stream: string) =>
      (byName[name].output?.chunks ?? [])
        .filter((c) => c.stream === stream)
        .map((c) => c.text)
        .join('');
    assert.match(text('b', 'stderr'), /Traceback[\s\S]*ValueError: child b failed on purpose/);
    assert.doesNotMatch(text('a', 'stderr'), /Traceback/);
    assert.equal(text('a', 'stdout'), [0, 1, 2, 3, 4, 5].map((i) => `a line ${i}\n`).join(''));

    // The output channel: the real pipe bytes and the real recording, each line prefixed by its writer.
    const lines: string[] = [];
    const label = (pid: number) => outputLabel(r.model.byPid.get(pid), pid, 'output_three.py');
    const out = new AttributedLines('output_three.py', (l) => lines.push(l), label);
    out.write('stdout', r.stdout);
    out.write('stderr', r.stderr);
    out.records(parseRecording(r.recordingText, 'x').records);
    out.flush();
    assert.equal(lines.length, r.stdout.split('\n').length - 1 + r.stderr.split('\n').length - 1);
    for (const name of ['a', 'b']) {
      const p = byName[name];
      for (let i = 0; i < 6; i++)
        assert.ok(lines.includes(`[${name} ${p.pid}] ${name} line ${i}`), `${name} line ${i}: ${lines.join('\n')}`);
      assert.ok(lines.includes(`[${name} ${p.pid} stderr] ${name} err 1`), lines.join('\n'));
    }
    assert.ok(lines.includes(`[output_three.py ${byName.main.pid}] main line 0`));
    assert.ok(lines.includes(`[b ${byName.b.pid} stderr] ValueError: child b failed on purpose`), lines.join('\n'));
  });
}

for (const method of startMethods()) {
  test(`output under ${method}, unbuffered and concurrent: every line whole, prefixed by its writer`, async () => {
    // Unbuffered, print's text and its newline are two writes: three processes printing at once cut each
    // other's lines in the pipe (as in a terminal). The channel shows each process's lines whole.
    const env = { ...process.env, PYTHONUNBUFFERED: '1' };
    const r = await record('output_three.py', [method], { env });
    assert.equal(r.code, 0, r.stderr);
    const lines: string[] = [];
    const names = new Map(r.model.processes.map((p) => [p.pid, p.role === 'main' ? 'main' : p.name]));
    const out = new AttributedLines(
      'output_three.py',
      (l) => lines.push(l),
      (pid) => `${names.get(pid)} ${pid}`,
    );
    // The pipe's bytes in a few pieces, and the records after them (as they can arrive).
    for (const stream of ['stdout', 'stderr'] as const) {
      const text = stream === 'stdout' ? r.stdout : r.stderr;
      for (let i = 0; i < text.length; i += 97) out.write(stream, text.slice(i, i + 97));
    }
    out.records(parseRecording(r.recordingText, 'x').records);
    out.flush();
    const own = lines.map((l) => /^\[(\w+) \d+( stderr)?\] (\w+) (line|err) (\d+)$/.exec(l)).filter((m) => m !== null);
    for (const m of own) {
      assert.equal(m[1], m[3], m[0]);
      assert.equal(m[2] === ' stderr', m[4] === 'err', m[0]);
    }
    assert.equal(own.length, 3 * 6 + 3 * 3, lines.join('\n'));
    assert.ok(lines.includes(`[main ${r.model.processes[0].pid}] big:${'x'.repeat(50)}!`), lines.join('\n'));
    assert.ok(
      lines.some((l) => /^\[b \d+ stderr\] ValueError: child b failed on purpose$/.test(l)),
      lines.join('\n'),
    );
    // Every byte shown once: the lines hold exactly the pipe's characters.
    const chars = (s: string) => [...s.replace(/\n/g, '')].sort().join('');
    assert.equal(chars(lines.map((l) => l.slice(l.indexOf('] ') + 2)).join('')), chars(r.stdout + r.stderr));
  });
}

test("outputLabel: the script for main, a given name, else the target function, else multiprocessing's name", () => {
  const p = (name: string, target: string | null, role = 'child') => ({ role, name, target });
  assert.equal(outputLabel(p('MainProcess', null, 'main'), 10, 'demo.py'), 'demo.py 10');
  assert.equal(outputLabel(p('greeter', '__main__.greet'), 11, 'demo.py'), 'greeter 11');
  for (const name of ['Process-1', 'SpawnProcess-2', 'ForkProcess-3:1', 'ForkServerProcess-4'])
    assert.equal(outputLabel(p(name, '__main__.work'), 12, 'demo.py'), 'work 12', name);
  assert.equal(outputLabel(p('Process-1', null), 13, 'demo.py'), 'Process-1 13');
  assert.equal(outputLabel(p('ForkPoolWorker-1', 'multiprocessing.pool.worker'), 14, 'demo.py'), 'ForkPoolWorker-1 14');
  assert.equal(outputLabel(undefined, 15, 'demo.py'), 'pid 15');
});

test('AttributedLines: pipe order kept, identical lines go to the first writer, unexplained lines fall back', () => {
  let now = 0;
  const { out, lines } = channel('s.py', () => now);
  out.write('stdout', 'hello\nfrom C\nhel');
  assert.deepEqual(lines, [], 'lines wait for the records');
  out.records([
    ['ev', 2, [['out', 2.0, 'stdout', 'hello\n']]],
    ['ev', 1, [['out', 1.0, 'stdout', 'hello\n']]],
  ]);
  assert.deepEqual(lines, ['[w 1] hello'], 'the earlier writer of the same text');
  now = 600;
  out.pump();
  assert.deepEqual(lines, ['[w 1] hello', '[s.py] from C']);
  out.write('stdout', 'lo\n');
  assert.deepEqual(lines.at(-1), '[w 2] hello');
  out.recordedWrite(3, 3.0, 'stderr', '<b>x</b>');
  out.write('stderr', '<b>x</b>');
  out.flush();
  assert.deepEqual(lines.at(-1), '[w 3 stderr] <b>x</b>');
});

test("AttributedLines: a line cut in the pipe by another process's write is shown whole, after the other", () => {
  const { out, lines } = channel();
  out.records([
    [
      'ev',
      10,
      [
        ['out', 1.0, 'stdout', 'parent: I am 10\n'],
        ['out', 1.2, 'stdout', 'parent: started 11\nparent: done\n'],
      ],
    ],
    ['ev', 11, [['out', 1.1, 'stdout', 'child: hello\n']]],
  ]);
  // The child's text, the parent's line, then the child's newline: as unbuffered prints can reach the pipe.
  out.write('stdout', 'parent: I am 10\nchild: helloparent: started 11\n\nparent: done\n');
  out.flush();
  assert.deepEqual(lines, ['[w 10] parent: I am 10', '[w 10] parent: started 11', '[w 11] child: hello', '[w 10] parent: done']);
});

test('AttributedLines: a partial match waits for the records rather than guess', () => {
  const now = 0;
  const { out, lines } = channel('s.py', () => now);
  out.recordedWrite(1, 1.0, 'stdout', 'help me\n');
  out.write('stdout', 'hello\n');
  assert.deepEqual(lines, [], 'pid 1 recorded "help me", not "hello": it waits');
  out.recordedWrite(2, 2.0, 'stdout', 'hello\n');
  assert.deepEqual(lines, ['[w 2] hello']);
  out.write('stdout', 'help me\n');
  assert.deepEqual(lines.at(-1), '[w 1] help me');
});

test('AttributedLines: 200 seeded interleavings of unbuffered prints, records late or early: every line whole and its own', () => {
  let seed = 12345;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let round = 0; round < 200; round++) {
    // Three writers whose lines share starts ("b line 1", "big line 1", "bi"), each print two writes.
    const writers = new Map([
      [1, ['b line 1', 'b line 2', 'bi', 'b line 10']],
      [2, ['big line 1', 'b', 'big line 2']],
      [3, ['line 1', 'line 1', 'x']],
    ]);
    const queues = [...writers].map(([pid, ls]) => ({ pid, writes: ls.flatMap((l) => [l, '\n']) }));
    let now = 0;
    const { out, lines } = channel('s.py', () => now);
    const records: [number, string, number][] = [];
    let pipe = '';
    let tick = 0;
    while (queues.some((q) => q.writes.length)) {
      const q = queues.filter((x) => x.writes.length)[rand(3) % queues.filter((x) => x.writes.length).length];
      const w = q.writes.shift()!;
      pipe += w;
      records.push([q.pid, w, ++tick]); // each write with its time, as the runtime records it
      // The pipe reaches Node in pieces, and the records in batches, in any order between them.
      if (rand(4) === 0) {
        out.write('stdout', pipe);
        pipe = '';
      }
      if (rand(3) === 0) {
        for (const [pid, text, t] of records.splice(0)) out.recordedWrite(pid, t, 'stdout', text);
      }
      now += rand(20);
    }
    out.write('stdout', pipe);
    for (const [pid, text, t] of records.splice(0)) out.recordedWrite(pid, t, 'stdout', text);
    out.flush();
    const expected = [...writers].flatMap(([pid, ls]) => ls.map((l) => `[w ${pid}] ${l}`));
    assert.deepEqual([...lines].sort(), expected.sort(), `round ${round}: ${lines.join(' | ')}`);
    for (const [pid, ls] of writers)
      assert.deepEqual(
        lines.filter((l) => l.startsWith(`[w ${pid}]`)),
        ls.map((l) => `[w ${pid}] ${l}`),
        `round ${round}: each writer's lines in its order`,
      );
  }
});

test("AttributedLines: a newline that could end another writer's unfinished line waits for its records", () => {
  // Unbuffered, each print is two writes (text, newline), recorded with their times. 10's text "main line 3"
  // is recorded, its newline not yet (a flush fell between them); 11's text and newline are. The newline
  // after "main line 3" in the pipe is 10's or 11's: taken as 11's, 10's lines would run together.
  let now = 0;
  const { out, lines } = channel('s.py', () => now);
  out.recordedWrite(11, 1.0, 'stdout', 'child: hi\n', true, [9, 0, 1, 600_000]);
  out.recordedWrite(10, 1.5, 'stdout', 'main line 3');
  out.write('stdout', 'child: himain line 3\nmain line 4\n\n');
  assert.deepEqual(lines, [], 'whose newline follows "main line 3" is not known until 10 records more');
  out.recordedWrite(10, 1.5001, 'stdout', '\nmain line 4\n', true, [1, 0, 11, 100, 1, 200]);
  out.flush();
  assert.deepEqual(lines, ['[w 10] main line 3', '[w 10] main line 4', '[w 11] child: hi']);
  // The records may never come (10 was killed): after holdMs, the one recorded newline is taken.
  const two = channel('s.py', () => now);
  two.out.recordedWrite(11, 1.0, 'stdout', 'child: hi\n', true, [9, 0, 1, 600_000]);
  two.out.recordedWrite(10, 1.5, 'stdout', 'main line 3');
  two.out.write('stdout', 'child: himain line 3\nfrom C\n');
  assert.deepEqual(two.lines, []);
  now = 600;
  two.out.pump();
  assert.deepEqual(two.lines, ['[w 11] child: hi', '[s.py] from C']);
});

test('AttributedLines: of two recorded newlines, the one written first', () => {
  // Both newlines are recorded, each with its time: the pipe has them in the order they were written.
  const { out, lines } = channel();
  out.recordedWrite(11, 1.0, 'stdout', 'child: hi\n', true, [9, 0, 1, 600_000]);
  out.recordedWrite(10, 1.5, 'stdout', 'main line 3\nmain line 4\n', true, [11, 0, 1, 100, 11, 200, 1, 300]);
  out.write('stdout', 'child: himain line 3\nmain line 4\n\n');
  out.flush();
  assert.deepEqual(lines, ['[w 10] main line 3', '[w 10] main line 4', '[w 11] child: hi']);
});

test("AttributedLines: a newline that is another writer's, as what follows it shows", () => {
  // a's "\n" came between main's text and main's newline; then a's next line. All recorded, each write with its time.
  const { out, lines } = channel();
  out.recordedWrite(1, 1.0, 'stdout', 'main line 2\nmain line 3\n', true, [11, 0, 1, 80_000, 11, 90_000, 1, 100_000]);
  out.recordedWrite(2, 0.5, 'stdout', 'a line 3\na line 4\n', true, [8, 0, 1, 550_000, 8, 560_000, 1, 570_000]);
  out.write('stdout', 'a line 3main line 2\na line 4\n\nmain line 3\n');
  out.flush();
  assert.deepEqual(lines, ['[w 2] a line 3', '[w 2] a line 4', '[w 1] main line 2', '[w 1] main line 3']);
});

test('AttributedLines: 2,000 seeded runs of three unbuffered writers on two streams, recorded as the runtime sends them', () => {
  // Each process's writes reach the records as output._take sends them: runs of one stream with each write's
  // length and time, at its own flusher's ticks (at random here, some far apart), an unfinished last write
  // kept back once (or not: `hold` off). The pipe reaches Node in pieces, at random between the records.
  let seed = 4242;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const names = new Map([
    [1, 'main'],
    [2, 'a'],
    [3, 'b'],
  ]);
  for (let round = 0; round < 2000; round++) {
    const hold = round % 2 === 0;
    const queues = [...names].map(([pid, name]) => ({
      pid,
      writes: Array.from({ length: 6 }, (_, i) => [
        ['stdout', `${name} line ${i}`],
        ['stdout', '\n'],
        ...(i % 2 ? [['stderr', `${name} err ${i}\n`]] : []),
      ]).flat() as ['stdout' | 'stderr', string][],
    }));
    type Write = { stream: 'stdout' | 'stderr'; t: number; text: string };
    const pending = new Map<number, Write[]>([...names.keys()].map((pid) => [pid, []]));
    const held = new Map<number, Write | null>();
    const { out, lines } = channel('s.py');
    const pipe = { stdout: '', stderr: '' };
    let t = 1;
    const flush = (pid: number, final: boolean) => {
      const ws = pending.get(pid)!;
      const last = ws.at(-1);
      const keep = hold && !final && last && !last.text.endsWith('\n') && held.get(pid) !== last ? ws.pop()! : null;
      held.set(pid, keep);
      const runs: { stream: 'stdout' | 'stderr'; t: number; text: string; writes: number[] }[] = [];
      for (const w of ws) {
        const r = runs.at(-1);
        if (r && r.stream === w.stream) {
          r.text += w.text;
          r.writes.push(w.text.length, Math.round((w.t - r.t) * 1e6));
        } else runs.push({ stream: w.stream, t: w.t, text: w.text, writes: [w.text.length, 0] });
      }
      pending.set(pid, keep ? [keep] : []);
      for (const r of runs) out.recordedWrite(pid, r.t, r.stream, r.text, true, r.writes.length > 2 ? r.writes : undefined);
    };
    while (queues.some((q) => q.writes.length)) {
      const live = queues.filter((q) => q.writes.length);
      const q = live[rand(live.length)];
      const [stream, text] = q.writes.shift()!;
      pipe[stream] += text;
      pending.get(q.pid)!.push({ stream, t: (t += 0.001), text });
      if (rand(4) === 0)
        for (const s of ['stdout', 'stderr'] as const) {
          out.write(s, pipe[s]);
          pipe[s] = '';
        }
      if (rand(3) === 0) flush(1 + rand(3), false);
    }
    for (const s of ['stdout', 'stderr'] as const) out.write(s, pipe[s]);
    for (const pid of names.keys()) flush(pid, true);
    out.flush();
    const wrong = lines.filter((l) => {
      const m = /^\[w (\d+)( stderr)?\] (\w+) (line|err) \d+$/.exec(l);
      return !m || names.get(Number(m[1])) !== m[3] || (m[2] === ' stderr') !== (m[4] === 'err');
    });
    assert.deepEqual(wrong, [], `round ${round}: ${lines.join(' | ')}`);
    assert.equal(lines.length, 3 * 6 + 3 * 3, `round ${round}: every line once`);
  }
});

test("AttributedLines: waiting on a newline drops no one's pending text (a blank line is no anchor)", () => {
  // 12 has printed "x", a blank line and "y", not in the pipe yet; the pipe's next byte is a newline that could be
  // 10's or 11's. While it waits, 12's text stays whole for when it arrives.
  const { out, lines } = channel();
  out.recordedWrite(12, 1.7, 'stdout', 'x\n\ny\n', true, [1, 0, 1, 1, 1, 2, 1, 3, 1, 4]);
  out.recordedWrite(11, 1.0, 'stdout', 'child: hi\n', true, [9, 0, 1, 800_000]);
  out.recordedWrite(10, 1.5, 'stdout', 'main line 3');
  out.write('stdout', 'child: himain line 3\n');
  out.recordedWrite(10, 1.5001, 'stdout', '\n');
  out.write('stdout', 'x\n\ny\n\n');
  out.flush();
  assert.deepEqual(lines, ['[w 10] main line 3', '[w 12] x', '[w 12] ', '[w 12] y', '[w 11] child: hi']);
});
