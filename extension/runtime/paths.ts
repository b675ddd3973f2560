/** Where the shipped pieces live relative to the running bundle, and the build's version. */

import * as fs from 'node:fs';
import * as path from 'node:path';

declare const __FORKSCOPE_VERSION__: string | undefined;

/** Version of Forkscope, set by the build (scripts/build.mjs). */
export const FORKSCOPE_VERSION: string = typeof __FORKSCOPE_VERSION__ === 'string' ? __FORKSCOPE_VERSION__ : '0.0.0-dev';

/** Folder holding forkscope_launch.py and the forkscope_runtime package (shipped as source). */
export function pythonRoot(): string {
  const candidates = [
    path.join(__dirname, '..', 'extension', 'python'),
    path.join(__dirname, '..', 'python'),
    path.join(__dirname, 'python'),
  ];
  for (const c of candidates) if (fs.existsSync(path.join(c, 'forkscope_launch.py'))) return c;
  return candidates[0];
}
