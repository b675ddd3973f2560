/**
 * Security (issue 5, docs/reliability.md), during real runs: the event socket
 * of a live run is private and refuses foreign clients (wrong or no secret,
 * random bytes) without harm to the run; the script's environment is the
 * user's plus Forkscope's own variable only.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, test } from 'node:test';
import { killLeftovers, plainRaw, recordRaw, runRaw, tmpDir, until } from './reliabilitySupport';
import { CLI, PYTHON } from './support/run';

afterEach(killLeftovers);

/** The live Python children of `ppid` (from /proc). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Sends `data` on a fresh connection and waits until the server hangs up (or 2 s pass). */
function inject(socketPath: string, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    const c = net.connect(socketPath, () => c.write(data));
    const t = setTimeout(() => (c.destroy(), resolve()), 2000);
    c.on('close', () => (clearTimeout(t), resolve()));
    c.on('error', () => undefined);
  });
}

test('a live run’s event socket is owner-only and refuses foreign clients; garbage does not disturb the run', async () => {
  const dir = tmpDir('socket');
  const out = path.join(dir, 'run.forkscope');
  const go = path.join(dir, 'go');
  try {
    let stdout = '';
    let checked: { dirMode: number; sockMode: number } | null = null;
    const r = await runRaw(process.execPath, [CLI, 'record', '--out', out, '--python', PYTHON, '--', 'waits_for_file.py', go], {
      onStdout: (d) => (stdout += d.toString()),
      onStart: (cli) => {
        void (async () => {
          try {
            await until('ready', () => stdout.includes('ready'));
            // Any process of the user can read a run's environment; the secret is what keeps others out.
            const main = childrenOf(cli.pid!)[0];
            const environ = fs.readFileSync(`/proc/${main}/environ`, 'utf8').split('\0');
            const config = JSON.parse(environ.find((e) => e.startsWith('FORKSCOPE_RUNTIME='))!.slice('FORKSCOPE_RUNTIME='.length));
            const sock: string = config.socket;
            checked = { dirMode: fs.statSync(path.dirname(sock)).mode & 0o777, sockMode: fs.statSync(sock).mode & 0o077 };
            const evil = JSON.stringify([
              ['proc', 1, { pid: 666, ppid: 1, name: 'evil', role: 'process' }],
              ['exit', 2, 0],
            ]);
            await inject(sock, `${JSON.stringify({ hello: 1, secret: 'f'.repeat(48), pid: 666, ppid: 1 })}\n${evil}\n`);
            await inject(sock, `${JSON.stringify({ hello: 1, pid: 667, ppid: 1 })}\n${evil}\n`);
            await inject(sock, `${evil}\n${evil}\n`);
            await inject(sock, Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919 + 13) % 256)));
            await inject(sock, 'x'.repeat(200_000));
          } finally {
            fs.writeFileSync(go, '');
          }
        })();
      },
    });
    assert.deepEqual(checked, { dirMode: 0o700, sockMode: 0 }, 'private directory, no access for group or others');
    assert.equal(r.code, 0, r.stderr.toString());
    assert.equal(stdout, 'ready\ndone 0\n', 'the run went on undisturbed');
    const s = (await runRaw(process.execPath, [CLI, 'summary', out, '--json'])).stdout.toString();
    const summary = JSON.parse(s);
    assert.deepEqual(summary.processes.map((p: { name: string }) => p.name).sort(), ['MainProcess', 'idle'], 'nothing was injected');
    // (no injected name, and no injected pid: "666" alone can be part of any time or size in the summary)
    assert.ok(!s.includes('evil'));
    assert.ok(!summary.processes.some((p: { pid: number }) => p.pid === 666 || p.pid === 667));
    const refused = summary.warnings.filter((w: { kind: string }) => w.kind === 'refused-connection');
    assert.equal(refused.length, 1, 'one warning says a connection was refused');
    assert.match(refused[0].message, /refused .*nothing it sent was recorded/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * environ.py's two lines (main process, spawn child) of a plain run and of a recorded one, each checked: only
 * FORKSCOPE_RUNTIME added, every plain variable as it was.
 */
async function environs(
  plainEnv: NodeJS.ProcessEnv,
  recordEnv: NodeJS.ProcessEnv,
  o: { asExecutable?: boolean; stderr?: (text: string) => void } = {},
): Promise<Record<string, string>[]> {
  const plain = await plainRaw(['environ.py'], { env: plainEnv });
  const r = await recordRaw(['environ.py'], { env: recordEnv, asExecutable: o.asExecutable });
  o.stderr?.(r.stderr.toString());
  assert.equal(r.code, 0, r.stderr.toString());
  const lines = (b: Buffer) =>
    b
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
  const expected = lines(plain.stdout);
  const seen = lines(r.stdout);
  ['main', 'spawn child'].forEach((who, i) => {
    assert.deepEqual(
      Object.keys(seen[i]).filter((k) => !(k in expected[i])),
      ['FORKSCOPE_RUNTIME'],
      `${who}: only Forkscope's own variable is added`,
    );
    for (const [k, v] of Object.entries(expected[i])) assert.equal(seen[i][k], v, `${who}: ${k} as in the plain run`);
  });
  return seen;
}

test('variables handed over in FORKSCOPE_SCRIPT_ENV reach the script, not the supervisor (as the extension hands NODE_EXTRA_CA_CERTS)', async () => {
  const user = { ...process.env, NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/forkscope-test-bundle.pem', FORKSCOPE_TEST_USER_VAR: 'x' };
  const supervisorEnv: NodeJS.ProcessEnv = {
    ...user,
    FORKSCOPE_SCRIPT_ENV: JSON.stringify({ NODE_EXTRA_CA_CERTS: user.NODE_EXTRA_CA_CERTS }),
  };
  delete supervisorEnv.NODE_EXTRA_CA_CERTS;
  for (const seen of await environs(user, supervisorEnv))
    assert.equal(seen.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/forkscope-test-bundle.pem');
});

test('run as `forkscope`, the CLI starts Node without NODE_EXTRA_CA_CERTS and hands it to the script (values JSON would escape stay)', async () => {
  // A bundle that does not exist: Node warns on stderr when it tries to read it, so the warning says whether Node saw it.
  for (const bundle of ['/nonexistent/forkscope-test-bundle.pem', '/nonexistent/a "quoted" bundle.pem']) {
    const user: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: bundle };
    delete user.FORKSCOPE_SCRIPT_ENV;
    // (environs: the script sees every variable as in a plain run, and nothing added but FORKSCOPE_RUNTIME)
    let stderr = '';
    const seen = await environs(user, user, { asExecutable: true, stderr: (t) => (stderr = t) });
    for (const row of seen) assert.equal(row.NODE_EXTRA_CA_CERTS, bundle);
    const nodeWarned = /Ignoring extra certs/.test(stderr);
    assert.equal(nodeWarned, bundle.includes('"'), `Node itself read ${bundle}: ${nodeWarned}`);
  }
});

test('the script’s environment is the user’s plus FORKSCOPE_* variables only (main process and a spawn child)', async () => {
  const env = { ...process.env, FORKSCOPE_TEST_USER_VAR: 'a value with spaces ✓', PYTHONDONTWRITEBYTECODE: '1' };
  for (const seen of await environs(env, env)) assert.equal(seen.FORKSCOPE_TEST_USER_VAR, 'a value with spaces ✓');
});
