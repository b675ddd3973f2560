/** A small Disposable base: register once, dispose everything in reverse order. */

import type * as vscode from 'vscode';

export abstract class Disposable implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  protected isDisposed = false;

  /** Keeps `d` to be disposed with this object (at once if this object is already disposed). */
  protected _register<T extends vscode.Disposable>(d: T): T {
    if (this.isDisposed) d.dispose();
    else this.disposables.push(d);
    return d;
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    while (this.disposables.length) {
      try {
        this.disposables.pop()!.dispose();
      } catch (e) {
        console.error('forkscope: dispose failed', e);
      }
    }
  }
}
