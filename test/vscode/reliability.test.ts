/**
 * Faults seen from inside a real VS Code (issue 5, docs/reliability.md): the
 * forked supervisor killed mid-run (the extension says so, the script runs
 * on with its output, Stop still ends it), and deactivation (closing VS Code,
 * disabling the extension) ending every run. Runs after extension.test.ts;
 * its last test deactivates the extension.
 */

import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ForkscopeApi } from '../../extension/vscode/extension';
import type { RunEndEvent } from '../../extension/vscode/runs';
import type { RunSession } from '../../extension/vscode/runSession';
import { workspace, waitFor, pidAlive } from './support';

/** Ticks forever in the main process, with two children that sleep: output that keeps coming. */
const TICKER = `"""Test fixture: prints a tick every 0.2 s until stopped, with two idle children."""
import multiprocessing as mp
import time


def idle():
    while True:
        time.sleep(0.1)


if __name__ == "__main__":
    kids = [mp.Process(target=idle, name=f"idle-{i}") for i in range(2)]
    for k in kids:
        k.start()
    n = 0
    while True:
        print("tick", n, flush=True)
        n += 1
        time.sleep(0.2)
`;

/** Leaves a forked child running (holding the output pipes) after the main process ends. */
const LEAVER = `"""Test fixture: the main process ends while a plain fork child sleeps on."""
import os
import time

pid = os.fork()
if pid == 0:
    time.sleep(20)  # killed by the test
    os._exit(0)
print("parent done", pid, flush=True)
`;

suite('Forkscope in VS Code: faults', function () {
  this.timeout(90_000);
  let api: ForkscopeApi;
  const ticker = () => vscode.Uri.file(path.join(workspace(), 'reliability_ticker.py'));

  suiteSetup(async () => {
    api = await vscode.extensions.getExtension<ForkscopeApi>('forkscope.forkscope')!.activate();
    fs.writeFileSync(ticker().fsPath, TICKER);
  });

  test('NODE_EXTRA_CA_CERTS reaches the script but not the supervisor (Node would parse the bundle at every start)', async () => {
    const before = process.env.NODE_EXTRA_CA_CERTS;
    const bundle = fs.existsSync('/etc/ssl/certs/ca-certificates.crt') ? '/etc/ssl/certs/ca-certificates.crt' : __filename;
    process.env.NODE_EXTRA_CA_CERTS = bundle;
    const script = vscode.Uri.file(path.join(workspace(), 'reliability_environ.py'));
    fs.writeFileSync(
      script.fsPath,
      'import os, time\ntime.sleep(0.5)\nprint("certs", os.environ.get("NODE_EXTRA_CA_CERTS"), "handed" if "FORKSCOPE_SCRIPT_ENV" in os.environ else "clean", flush=True)\n',
    );
    try {
      const session = await api._test.runs.start(script, { openInspector: false, interactive: false });
      const output: string[] = [];
      session.onDidOutput((e) => output.push(e.text));
      const supervisor = await waitFor('the supervisor', () => session.supervisorPid);
      const supervisorEnv = fs.readFileSync(`/proc/${supervisor}/environ`, 'utf8').split('\0');
      const end = await session.whenEnded();
      assert.strictEqual(end.exitCode, 0);
      assert.strictEqual(output.join('').trim(), `certs ${bundle} clean`);
      assert.ok(!supervisorEnv.some((e) => e.startsWith('NODE_EXTRA_CA_CERTS=')), 'the supervisor started without it');
    } finally {
      if (before === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = before;
      fs.rmSync(script.fsPath, { force: true });
    }
  });

  /** Starts the ticker and waits for its three processes. */
  async function startTicker(): Promise<{ session: RunSession; pids: number[]; output: string[] }> {
    const session = await api._test.runs.start(ticker(), { openInspector: false, interactive: false });
    const output: string[] = [];
    session.onDidOutput((e) => output.push(e.text));
    const m = await waitFor('three live processes', () =>
      session.model && session.model.processes.filter((p) => p.endedAt === null && p.role !== 'resource-tracker').length >= 3
        ? session.model
        : null,
    );
    await waitFor('ticks', () => output.join('').includes('tick 2'));
    return { session, pids: m.processes.map((p) => p.pid), output };
  }

  test('the supervisor killed mid-run: a clear message, the script runs on with its output, Stop still ends every process', async () => {
    const ended: RunEndEvent[] = [];
    const sub = api.onDidEndRun((e) => ended.push(e));
    const { session, pids, output } = await startTicker();
    try {
      const supervisor = session.supervisorPid!;
      process.kill(supervisor, 'SIGKILL');
      const end = await session.whenEnded();
      assert.match(
        end.supervisorError ?? '',
        new RegExp(
          `^the Forkscope supervisor \\(pid ${supervisor}\\) was killed by SIGKILL\\. The script goes on running, unrecorded; its output still shows, and Stop still ends it\\. The recording up to that moment is in `,
        ),
      );
      await waitFor('the end event', () => ended.length === 1);
      assert.strictEqual(ended[0].error, end.supervisorError);
      // The script did not notice: it keeps printing, to the extension, through its own pipes.
      const ticksAtEnd = (output.join('').match(/tick \d+/g) ?? []).length;
      await waitFor(
        'more ticks after the supervisor died',
        () => (output.join('').match(/tick \d+/g) ?? []).length >= ticksAtEnd + 3,
        15_000,
      );
      assert.ok(pids.every(pidAlive), 'every process of the script still runs');
      assert.ok(session.hasStrayTree);
      assert.ok(api._test.runs.liveSessions.includes(session), 'Stop still sees the run');
      await vscode.commands.executeCommand('forkscope.stop');
      await waitFor('every process of the run to be gone', () => pids.every((pid) => !pidAlive(pid)), 15_000);
      assert.ok(!api._test.runs.liveSessions.includes(session));
    } finally {
      sub.dispose();
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  });

  test('a process left running after the script ends (holding its output pipes) ends the run normally, with a warning', async () => {
    const uri = vscode.Uri.file(path.join(workspace(), 'reliability_leaver.py'));
    fs.writeFileSync(uri.fsPath, LEAVER);
    let left = 0;
    try {
      const summary = await api.runFile(uri, { openInspector: false }); // rejects if the supervisor were reported dead
      assert.strictEqual(summary.run.exitCode, 0);
      const w = summary.warnings.find((x) => x.kind === 'left-running');
      assert.ok(w, JSON.stringify(summary.warnings));
      left = Number(/pid (\d+)/.exec(w.message)?.[1]);
      assert.ok(left > 0 && pidAlive(left), 'the forked child is still running, as without Forkscope');
    } finally {
      if (left) {
        try {
          process.kill(left, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  });

  // Last: it deactivates the extension.
  test('deactivation (VS Code closing, the extension disabled) stops every run and its whole tree', async () => {
    const { session, pids } = await startTicker();
    try {
      await api._test.deactivate();
      const end = await session.whenEnded();
      assert.strictEqual(end.stopped, true);
      await waitFor('every process of the run to be gone', () => pids.every((pid) => !pidAlive(pid)), 15_000);
      assert.ok(!pidAlive(session.supervisorPid!), 'the supervisor is gone too');
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  });
});
