/**
 * Which Python runs the script: the interpreter selected in the Python
 * extension when it is installed, else the `forkscope.pythonPath` setting,
 * else `python3` / `python` on PATH. Each candidate is checked by running it
 * (`-c` printing its version) so a bad choice gets a clear message, not a
 * cryptic failure in the middle of a run.
 */

import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { resolvePython } from '../runtime/pythonResolve';
import { Settings } from './ids';

export interface Interpreter {
  /** Executable path or command name. */
  command: string;
  /** Where it came from, for messages. */
  source: 'launch configuration' | 'Python extension' | 'setting forkscope.pythonPath' | 'PATH';
  version: string;
}

export class InterpreterError extends Error {
  constructor(
    message: string,
    readonly tried: string[],
  ) {
    super(message);
  }
}

/** The minimal part of ms-python.python's public API we use (`@vscode/python-extension`). */
interface PythonExtensionApi {
  ready?: Promise<void>;
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
    resolveEnvironment(env: { id: string; path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

/** Runs `python -c …` and resolves to its version line, or null when it does not work. */
export function probePython(command: string, cwd?: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      command,
      ['-c', 'import sys, multiprocessing; print("%d.%d.%d" % sys.version_info[:3])'],
      { cwd, timeout: 10_000, windowsHide: true },
      (err, stdout) => {
        if (err) return resolve(null);
        const v = stdout.trim();
        const [major, minor] = v.split('.').map(Number);
        resolve(/^\d+\.\d+\.\d+$/.test(v) && major * 1000 + minor >= 3009 ? v : null); // the runtime needs 3.9+
      },
    );
  });
}

/**
 * The interpreter's version through the same resolution the supervisor uses (runtime/pythonResolve.ts): a shim
 * (pyenv, asdf, a wrapper) is asked once which binary it starts and the answer, version included, is cached per
 * user, so a run neither starts the shim twice nor waits for it; the run itself starts the resolved binary.
 * Falls back to running the command when it cannot be resolved.
 */
async function checkedVersion(command: string, cwd?: string): Promise<string | null> {
  const r = await resolvePython(command, { cwd, probeBinaries: true });
  if (r.source === 'not-found') return null;
  if (r.version && (r.source === 'cache' || r.source === 'probe')) {
    const [major, minor] = r.version.split('.').map(Number);
    return major * 1000 + minor >= 3009 ? r.version : null;
  }
  return probePython(command, cwd);
}

/** The Python extension's selected interpreter for `resource`, if the extension is installed and has one. */
async function fromPythonExtension(resource: vscode.Uri | undefined): Promise<string | null> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return null;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    await Promise.race([api?.ready, new Promise((r) => setTimeout(r, 5000))]);
    const envs = api?.environments;
    if (!envs) return null;
    const active = envs.getActiveEnvironmentPath(resource);
    const resolved = await envs.resolveEnvironment(active);
    return resolved?.executable?.uri?.fsPath ?? active.path ?? null;
  } catch {
    return null;
  }
}

/**
 * Picks the interpreter. `explicit` (a launch configuration's `python`) wins;
 * throws InterpreterError listing what was tried when nothing works.
 */
export async function resolveInterpreter(resource: vscode.Uri | undefined, explicit?: string, cwd?: string): Promise<Interpreter> {
  const tried: string[] = [];
  const candidates: [string | null, Interpreter['source']][] = [];
  if (explicit) candidates.push([explicit, 'launch configuration']);
  else {
    const setting = vscode.workspace.getConfiguration(Settings.section, resource).get<string>(Settings.pythonPath, '').trim();
    candidates.push([await fromPythonExtension(resource), 'Python extension']);
    if (setting) candidates.push([setting, 'setting forkscope.pythonPath']);
    candidates.push(['python3', 'PATH'], ['python', 'PATH']);
  }
  for (const [command, source] of candidates) {
    if (!command) continue;
    const version = await checkedVersion(command, cwd);
    if (version) return { command, source, version };
    tried.push(`${command} (${source})`);
  }
  throw new InterpreterError(`Forkscope found no working Python 3.9 or newer. Tried: ${tried.join(', ')}.`, tried);
}

/** Shows the "no interpreter" message with actions that fix it. */
export async function reportInterpreterError(e: InterpreterError): Promise<void> {
  const choice = await vscode.window.showErrorMessage(e.message, 'Set forkscope.pythonPath', 'Select Interpreter');
  if (choice === 'Set forkscope.pythonPath') {
    await vscode.commands.executeCommand('workbench.action.openSettings', `${Settings.section}.${Settings.pythonPath}`);
  } else if (choice === 'Select Interpreter') {
    try {
      await vscode.commands.executeCommand('python.setInterpreter');
    } catch {
      await vscode.commands.executeCommand('workbench.action.openSettings', `${Settings.section}.${Settings.pythonPath}`);
    }
  }
}
