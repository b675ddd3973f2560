/**
 * The first start in the sample workspace (what `npm start` opens): Forkscope's walkthrough is
 * the editor, not VS Code's own welcome page. Runs first (test/vscode/index.ts), before any
 * other test closes editors.
 */

import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ForkscopeApi } from '../../extension/vscode/extension';
import { EXTENSION_ID } from './support';
import { probeUntil, shotsDir, screenshot } from './workbench';

suite('Starting in the sample workspace', function () {
  this.timeout(60_000);

  test('the samples turn VS Code’s startup editor off and Forkscope opens its walkthrough on first activation', async () => {
    const ext = vscode.extensions.getExtension<ForkscopeApi>(EXTENSION_ID)!;
    // The sample workspace (a copy of samples/) activates the extension by itself (workspaceContains).
    assert.ok(ext.packageJSON.activationEvents.includes('workspaceContains:01_first_process.py'));
    const api = await ext.activate();
    const settings = fs.readFileSync(path.join(ext.extensionPath, 'samples', '.vscode', 'settings.json'), 'utf8');
    assert.match(settings, /"workbench\.startupEditor":\s*"none"/);
    assert.strictEqual(await api._test.walkthroughOnStart, true, 'activation opened the walkthrough');
    if (!shotsDir()) return;
    // In the workbench: one editor, Forkscope's walkthrough (not VS Code's welcome page), on its steps.
    const [seen] = await probeUntil(
      'startup-editor',
      'workbench',
      () => ({
        tabs: [...document.querySelectorAll('.part.editor .tab')].map((t) => (t as HTMLElement).innerText.trim()),
        text: (document.querySelector('.part.editor') as HTMLElement | null)?.innerText ?? '',
      }),
      (v) => /Get started with Forkscope/.test(v[0]?.text ?? ''),
    );
    assert.deepStrictEqual(seen.tabs, ['Walkthrough: Forkscope']);
    assert.match(seen.text, /Run a script with Forkscope/);
    await screenshot('startup-walkthrough');
  });
});
