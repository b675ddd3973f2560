import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { test } from 'node:test';
import { EventServer } from '../../extension/runtime/eventServer';

interface Seen {
  hellos: number[];
  batches: [number, unknown[]][];
  byes: number[];
  refused: string[];
}

async function withServer(fn: (s: EventServer, seen: Seen) => Promise<void>): Promise<void> {
  const seen: Seen = { hellos: [], batches: [], byes: [], refused: [] };
  const s = EventServer.listen({
    onHello: (pid) => (seen.hellos.push(pid), true),
    onBatch: (pid, events) => seen.batches.push([pid, events]),
    onBye: (pid) => seen.byes.push(pid),
    onRefused: (r) => seen.refused.push(r),
  });
  try {
    await fn(s, seen);
  } finally {
    await s.close();
  }
  assert.equal(fs.existsSync(s.dir), false, 'the private directory is removed');
}

function send(path: string, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    const c = net.connect(path, () => {
      c.end(data);
    });
    c.on('close', () => resolve());
    c.on('error', () => resolve());
  });
}

const settle = () => new Promise((r) => setTimeout(r, 50));

test('the socket lives in an owner-only directory', async () => {
  await withServer(async (s) => {
    assert.equal(fs.statSync(s.dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(s.socketPath).mode & 0o077, 0);
    assert.match(s.secret, /^[0-9a-f]{48}$/);
  });
});

test('a client with the secret is heard, line by line, even when lines arrive in pieces', async () => {
  await withServer(async (s, seen) => {
    const hello = JSON.stringify({ hello: 1, secret: s.secret, pid: 4242, ppid: 1 });
    const batch1 = JSON.stringify([['run', 1, 'k']]);
    const batch2 = JSON.stringify([
      ['exit', 2, 0],
      ['m', 2, 'p1', 4241, 1.9, 10, 'ünïcode'],
    ]);
    await new Promise<void>((resolve) => {
      const c = net.connect(s.socketPath, async () => {
        const all = `${hello}\n${batch1}\n${batch2}\n`;
        for (let i = 0; i < all.length; i += 7) {
          c.write(all.slice(i, i + 7));
          await new Promise((r) => setImmediate(r));
        }
        c.end();
      });
      c.on('close', () => resolve());
    });
    await settle();
    assert.deepEqual(seen.hellos, [4242]);
    assert.deepEqual(seen.batches, [
      [4242, [['run', 1, 'k']]],
      [
        4242,
        [
          ['exit', 2, 0],
          ['m', 2, 'p1', 4241, 1.9, 10, 'ünïcode'],
        ],
      ],
    ]);
    assert.deepEqual(seen.byes, [4242]);
    assert.deepEqual(seen.refused, []);
  });
});

test('a foreign client with a wrong or no secret injects nothing', async () => {
  await withServer(async (s, seen) => {
    const batch = JSON.stringify([['proc', 1, { pid: 666, name: 'evil' }]]);
    await send(s.socketPath, `${JSON.stringify({ hello: 1, secret: 'f'.repeat(48), pid: 666 })}\n${batch}\n`);
    await send(s.socketPath, `${JSON.stringify({ hello: 1, pid: 667 })}\n${batch}\n`);
    await send(s.socketPath, `${batch}\n${batch}\n`);
    await settle();
    assert.deepEqual(seen.hellos, []);
    assert.deepEqual(seen.batches, []);
    assert.equal(seen.refused.length, 3);
  });
});

test('random bytes and an endless first line do not crash the server', async () => {
  await withServer(async (s, seen) => {
    await send(s.socketPath, Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7919) % 256)));
    await send(s.socketPath, 'x'.repeat(100_000));
    await settle();
    assert.deepEqual(seen.batches, []);
    assert.ok(seen.refused.length >= 2);
    // Still serving afterwards.
    await send(s.socketPath, `${JSON.stringify({ hello: 1, secret: s.secret, pid: 7, ppid: 1 })}\n[["run",1,"a"]]\n`);
    await settle();
    assert.deepEqual(seen.batches, [[7, [['run', 1, 'a']]]]);
  });
});
