/** `forkscope.openSamples`: copies the sample workspace to a folder the user picks, then opens it. */

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** Copies the shipped samples into `parent/forkscope-samples` (or -2, -3… if taken); returns the new folder. */
export function copySamples(extensionPath: string, parent: string): string {
  const from = path.join(extensionPath, 'samples');
  let to = path.join(parent, 'forkscope-samples');
  for (let i = 2; fs.existsSync(to); i++) to = path.join(parent, `forkscope-samples-${i}`);
  fs.cpSync(from, to, { recursive: true, filter: (src) => !/(__pycache__|\.forkscope-recordings)$/.test(src) });
  return to;
}

export async function openSamples(
  extensionPath: string,
  target?: vscode.Uri,
  options: { open?: boolean } = {},
): Promise<vscode.Uri | undefined> {
  let parent = target;
  if (!parent) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      openLabel: 'Copy the Forkscope samples here',
      title: 'Where should the Forkscope samples go? (a folder "forkscope-samples" is created in it)',
    });
    parent = picked?.[0];
  }
  if (!parent) return undefined;
  const folder = vscode.Uri.file(copySamples(extensionPath, parent.fsPath));
  if (options.open ?? true) {
    await vscode.commands.executeCommand('vscode.openFolder', folder, { forceNewWindow: false });
  }
  return folder;
}

/** True for a folder that holds Forkscope's sample workspace (a copy from openSamples, or the repo's samples/). */
export function isSampleWorkspace(folder: string): boolean {
  return ['01_first_process.py', '13_deadlock.py'].every((f) => fs.existsSync(path.join(folder, f)));
}

/** workspaceState key: the walkthrough was opened once in this workspace. */
const WALKTHROUGH_OPENED = 'forkscope.walkthroughOpened';

/**
 * The first time the extension activates in the sample workspace (`npm start`, Open Sample
 * Workspace), Forkscope's walkthrough opens, rather than VS Code's own (the samples' settings
 * turn VS Code's startup editor off). Resolves to whether it opened it.
 */
export async function openWalkthroughOnFirstStart(context: vscode.ExtensionContext, walkthrough: string): Promise<boolean> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!folders.some((f) => f.uri.scheme === 'file' && isSampleWorkspace(f.uri.fsPath))) return false;
  if (context.workspaceState.get<boolean>(WALKTHROUGH_OPENED)) return false;
  await context.workspaceState.update(WALKTHROUGH_OPENED, true);
  await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${walkthrough}`, false);
  return true;
}
