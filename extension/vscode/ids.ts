/**
 * Every id the extension contributes, in one place: commands, views, context
 * keys, settings, the debug type and the custom editor. package.json must use
 * the same strings (the real-VS-Code suite checks both agree), and typed
 * helpers register and execute commands by these ids.
 */

import * as vscode from 'vscode';

export const Commands = {
  runFile: 'forkscope.runFile',
  stop: 'forkscope.stop',
  openInspector: 'forkscope.openInspector',
  openRecording: 'forkscope.openRecording',
  openSamples: 'forkscope.openSamples',
  revealInInspector: 'forkscope.processes.reveal',
  goToTarget: 'forkscope.processes.goToTarget',
  terminateProcess: 'forkscope.processes.terminate',
  killProcess: 'forkscope.processes.kill',
  showOutput: 'forkscope.showOutput',
  compareRecordings: 'forkscope.compareRecordings',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

export const Views = {
  processes: 'forkscope.processes',
} as const;

export const ContextKeys = {
  /** True while a run is going. */
  running: 'forkscope.running',
  /** True once any run (or recording) has been shown in the Processes view. */
  hasRun: 'forkscope.hasRun',
} as const;

export const DEBUG_TYPE = 'forkscope';
export const CUSTOM_EDITOR = 'forkscope.recording';
export const WEBVIEW_PANEL = 'forkscope.inspector';
export const COMPARE_PANEL = 'forkscope.compare';
export const WALKTHROUGH = 'forkscope.gettingStarted';

/** Settings under `forkscope.`. */
export const Settings = {
  section: 'forkscope',
  pythonPath: 'pythonPath',
  sampleIntervalMs: 'sampleIntervalMs',
  maxProcesses: 'maxProcesses',
  hangSeconds: 'hangSeconds',
  openInspectorOnRun: 'openInspectorOnRun',
  recordingsFolder: 'recordingsFolder',
} as const;

/** Arguments each command takes (tree-item commands get the tree's element). */
export interface CommandArgs {
  [Commands.runFile]: [uri?: vscode.Uri];
  [Commands.stop]: [];
  [Commands.openInspector]: [];
  [Commands.openRecording]: [uri?: vscode.Uri];
  [Commands.openSamples]: [target?: vscode.Uri, options?: { open?: boolean }];
  [Commands.revealInInspector]: [item?: { pid: number }];
  [Commands.goToTarget]: [item?: { pid: number }];
  [Commands.terminateProcess]: [item?: { pid: number }];
  [Commands.killProcess]: [item?: { pid: number }];
  [Commands.showOutput]: [];
  /** From the Explorer: the clicked file and every selected one; from the palette: nothing (a file dialog asks). */
  [Commands.compareRecordings]: [clicked?: vscode.Uri, selected?: vscode.Uri[]];
}

/** Registers a command by its typed id. */
export function registerCommand<K extends CommandId>(id: K, handler: (...args: CommandArgs[K]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, handler as (...args: unknown[]) => unknown);
}

/** Executes a command by its typed id. */
export function executeCommand<K extends CommandId>(id: K, ...args: CommandArgs[K]): Thenable<unknown> {
  return vscode.commands.executeCommand(id, ...args);
}

/** Sets a context key used in `when` clauses. */
export function setContext(key: (typeof ContextKeys)[keyof typeof ContextKeys], value: unknown): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', key, value);
}
