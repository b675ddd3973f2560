/**
 * Forkscope in an untrusted workspace (restricted mode): recordings open, no
 * script runs. Only in the second pass of the vscode layer
 * (FORKSCOPE_TEST_UNTRUSTED=1, code-server with workspace trust on).
 */

import * as assert from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ForkscopeApi } from '../../extension/vscode/extension';
import { Commands } from '../../extension/vscode/ids';

suite('Forkscope in an untrusted workspace', function () {
  this.timeout(60_000);
  let api: ForkscopeApi;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-untrusted-'));

  suiteSetup(async () => {
    api = await vscode.extensions.getExtension<ForkscopeApi>('forkscope.forkscope')!.activate();
  });

  suiteTeardown(async () => {
    await api?.stopAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the workspace is not trusted', () => {
    assert.strictEqual(vscode.workspace.isTrusted, false);
  });

  test('no script runs', async () => {
    const started: string[] = [];
    const sub = api.onDidStartRun((e) => started.push(e.script));
    try {
      const script = vscode.Uri.file(path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '01_first_process.py'));
      await assert.rejects(api.runFile(script, { openInspector: false }), /trusted workspace/);
      await vscode.commands.executeCommand(Commands.runFile, script).then(undefined, () => undefined);
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepStrictEqual(started, []);
      assert.strictEqual(api._test.runs.liveSessions.length, 0);
    } finally {
      sub.dispose();
    }
  });

  test('a saved recording opens in the inspector', async () => {
    // Made outside the extension, with the CLI, as a user would bring one along.
    const ext = vscode.extensions.getExtension('forkscope.forkscope')!.extensionPath;
    const file = path.join(tmp, 'pipe.forkscope');
    execFileSync(
      process.execPath,
      [path.join(ext, 'dist', 'cli.js'), 'record', '--quiet', '--out', file, '--', path.join(ext, 'samples', '04_pipe.py')],
      {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        stdio: 'ignore',
        timeout: 30_000,
      },
    );
    await vscode.commands.executeCommand(Commands.openRecording, vscode.Uri.file(file));
    const until = Date.now() + 20_000;
    for (;;) {
      const view = api._test.recordings.open.get(file);
      if (view && view.stats.initsSent > 0) break;
      if (Date.now() > until) throw new Error('the recording did not reach the inspector');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(api._test.tree.getChildren().length === 1, 'the Processes view shows the recording');
    console.log('[screenshot] untrusted-recording');
    await new Promise((r) => setTimeout(r, 1000));
  });
});
