/**
 * What the real-VS-Code suites share: the extension's id, the test workspace,
 * polling for a condition, and telling whether a pid still runs.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'forkscope.forkscope';

/** The folder the workbench opened (a copy of samples/). */
export const workspace = (): string => process.env.FORKSCOPE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0].uri.fsPath;

/** A file of the test workspace. */
export const sample = (name: string): vscode.Uri => vscode.Uri.file(path.join(workspace(), name));

/** Polls `fn` every 100 ms until it gives a truthy value; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 40_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True while `pid` is a live process (a zombie counts as gone: it runs nothing). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}
