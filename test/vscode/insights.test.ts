/**
 * Insights and comparing runs inside a real VS Code, on real runs: warnings on
 * the Processes items, diagnostics at the line a warning names (and cleared
 * when the script runs again), the notification of a live deadlock, and the
 * "Compare Recordings…" command opening its panel with both runs drawn.
 */

import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ForkscopeApi } from '../../extension/vscode/extension';
import { Commands, Settings } from '../../extension/vscode/ids';
import type { Summary } from '../../core/summary/summary';
import { EXTENSION_ID, workspace, waitFor } from './support';

/** Four children, one after the other: with forkscope.maxProcesses = 2 the runtime warns (a real warning). */
const FOUR_CHILDREN = path.join(__dirname, '..', '..', '..', 'test', 'scripts', 'four_children.py');

/** A Pool.map; the argument is the number of workers. */
const POOL = `"""Test fixture: a Pool.map of 16 small tasks; argv[1] is the number of workers."""
import multiprocessing as mp
import sys


def work(n):
    return sum(i * n for i in range(20_000))


if __name__ == "__main__":
    with mp.Pool(processes=int(sys.argv[1])) as pool:
        print(sum(pool.map(work, range(16), chunksize=2)))
`;

let api: ForkscopeApi;

suite('Forkscope insights and compare in VS Code', function () {
  this.timeout(90_000);

  suiteSetup(async () => {
    api = await vscode.extensions.getExtension<ForkscopeApi>(EXTENSION_ID)!.activate();
    fs.copyFileSync(FOUR_CHILDREN, path.join(workspace(), 'four_children.py'));
    fs.writeFileSync(path.join(workspace(), 'pool_workers.py'), POOL);
  });

  teardown(async () => {
    await api?.stopAll();
    await vscode.workspace
      .getConfiguration(Settings.section)
      .update(Settings.maxProcesses, undefined, vscode.ConfigurationTarget.Workspace);
  });

  test("a run's warning is on its process in the Processes view (icon and tooltip); no diagnostic without a code line", async () => {
    await vscode.workspace.getConfiguration(Settings.section).update(Settings.maxProcesses, 2, vscode.ConfigurationTarget.Workspace);
    const script = vscode.Uri.file(path.join(workspace(), 'four_children.py'));
    const s = await api.runFile(script, { openInspector: false });
    const w = s.warnings.find((x) => x.pid !== null && s.processes.some((p) => p.pid === x.pid));
    assert.ok(w, `a warning about a tracked process: ${JSON.stringify(s.warnings)}`);
    const tree = api._test.tree;
    await waitFor('the tree to show the run', () => tree.process(w!.pid!));
    const item = tree.getTreeItem({ pid: w!.pid! });
    assert.ok(
      item.iconPath instanceof vscode.ThemeIcon && item.iconPath.id === (w!.severity === 'error' ? 'error' : 'warning'),
      `icon ${JSON.stringify(item.iconPath)}`,
    );
    assert.ok(String(item.tooltip).includes(w!.message), 'the tooltip says the warning');
    assert.ok(String(item.description).includes(w!.kind), 'the description names its kind');
    const others = s.processes.filter((p) => !w!.pids.includes(p.pid));
    for (const p of others) assert.ok(!String(tree.getTreeItem({ pid: p.pid }).tooltip).includes(w!.message), `not on pid ${p.pid}`);
    // Without a file and a line it is no diagnostic.
    const forkscope = vscode.languages
      .getDiagnostics()
      .flatMap(([, ds]) => ds.filter((d) => d.source === 'Forkscope' && d.message === w!.message));
    assert.deepStrictEqual(forkscope, []);
  });

  test('a live deadlock: a notification with its actions at once, an Error diagnostic at its line, kept after the run, cleared when the script runs again', async () => {
    // The sample joins for 5 s before draining its queue; the detector speaks after 3 s (forkscope.hangSeconds).
    const script = vscode.Uri.file(path.join(workspace(), '13_deadlock.py'));
    const notifier = api._test.runs.notifier;
    const before = notifier.shown.length;
    const forkscopeDiagnostics = () => vscode.languages.getDiagnostics(script).filter((d) => d.source === 'Forkscope');
    let ended = false;
    const run = api.runFile(script, { openInspector: false }).finally(() => (ended = true));
    const shown = await waitFor(
      'the deadlock notification',
      () => notifier.shown.length > before && notifier.shown[notifier.shown.length - 1],
    );
    assert.strictEqual(ended, false, 'during the run');
    assert.strictEqual(shown.warning.kind, 'deadlock');
    assert.strictEqual(shown.warning.severity, 'error');
    assert.deepStrictEqual(shown.actions, ['Show in Inspector', 'Go to Code', 'Stop Run']);
    assert.ok(shown.message.includes(shown.warning.message));
    // The diagnostic is there while the run goes.
    const live = await waitFor('a live diagnostic', () => forkscopeDiagnostics().length > 0 && forkscopeDiagnostics());
    assert.strictEqual(ended, false, 'the diagnostic came during the run');
    const s = await run;
    const w = s.warnings.find((x) => x.kind === 'deadlock');
    assert.ok(w && w.file && w.line, `the summary's deadlock names a line: ${JSON.stringify(s.warnings)}`);
    assert.strictEqual(path.resolve(w!.file!), script.fsPath);
    const d = forkscopeDiagnostics();
    assert.strictEqual(d.length, 1, 'one diagnostic, kept after the run');
    assert.strictEqual(d[0].severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(d[0].range.start.line, w!.line! - 1, 'at the line of the blocking call');
    assert.strictEqual(d[0].code, 'deadlock');
    assert.strictEqual(d[0].message, w!.message);
    assert.strictEqual(live[0].range.start.line, d[0].range.start.line);
    assert.strictEqual(d[0].relatedInformation?.length, w!.pids.length, 'each process involved');
    for (const [i, pid] of w!.pids.entries()) assert.match(d[0].relatedInformation![i].message, new RegExp(`pid ${pid}`));
    // The Processes view marks the processes involved.
    for (const pid of w!.pids) {
      const icon = api._test.tree.getTreeItem({ pid }).iconPath;
      assert.ok(icon instanceof vscode.ThemeIcon && icon.id === 'error', `pid ${pid} has the error icon`);
    }
    // A picture: the script with its diagnostic, the Problems panel, the Processes view.
    await vscode.window.showTextDocument(script, { selection: d[0].range, preview: true });
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await vscode.commands.executeCommand('forkscope.processes.focus');
    await new Promise((r) => setTimeout(r, 1000));
    console.log('[screenshot] deadlock-diagnostic');
    await new Promise((r) => setTimeout(r, 1000));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Running the script again clears its diagnostics when the run starts.
    const cleared = new Promise<number>((resolve) => {
      const sub = api.onDidStartRun(() => {
        sub.dispose();
        resolve(forkscopeDiagnostics().length);
      });
    });
    const again = api.runFile(script, { openInspector: false });
    assert.strictEqual(await cleared, 0, 'cleared when the next run starts');
    await api.stopAll();
    await again.catch(() => undefined);
  });

  test('Compare Recordings… opens a panel that draws both runs (1 worker vs 2)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-compare-'));
    const script = vscode.Uri.file(path.join(workspace(), 'pool_workers.py'));
    const outs = [path.join(dir, 'one.forkscope'), path.join(dir, 'two.forkscope')];
    const summaries: Summary[] = [];
    summaries.push(await api.runFile(script, { openInspector: false, args: ['1'], out: outs[0] }));
    summaries.push(await api.runFile(script, { openInspector: false, args: ['2'], out: outs[1] }));
    const uris = outs.map((f) => vscode.Uri.file(f));
    const before = api._test.compare.open.size;
    // As the Explorer calls it with two files selected: the clicked one, then all selected.
    await vscode.commands.executeCommand(Commands.compareRecordings, uris[0], uris);
    await waitFor('the compare panel', () => api._test.compare.open.size === before + 1);
    const panel = [...api._test.compare.open].pop()!;
    assert.deepStrictEqual(panel.labels, ['one.forkscope', 'two.forkscope']);
    assert.strictEqual(panel.panel.title, 'Compare: one.forkscope vs two.forkscope');
    const lanes = await waitFor('the page to draw both timelines', () => panel.stats.shownLanes, 60_000);
    assert.deepStrictEqual(lanes, [summaries[0].processes.length, summaries[1].processes.length]);
    assert.ok(panel.stats.comparesSent >= 1);
    await new Promise((r) => setTimeout(r, 500));
    console.log('[screenshot] compare');
    await new Promise((r) => setTimeout(r, 1000));
    // The menu entry: Explorer, two .forkscope files selected.
    const menus = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.menus['explorer/context'] as {
      command: string;
      when: string;
    }[];
    assert.ok(
      menus.some((m) => m.command === Commands.compareRecordings && /listDoubleSelection/.test(m.when) && /\.forkscope/.test(m.when)),
    );
    panel.panel.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
