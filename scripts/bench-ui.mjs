// `npm run bench:ui`: the inspector on a generated recording of 1,000
// processes and 200,000 messages in headless Chromium: first paint, pan/zoom
// frame times, memory, live event → screen latency. Writes bench-results/ui.json.
import * as esbuild from 'esbuild';
import { join } from 'node:path';
import { ensureApt, ensureNodeModules, root, run } from './lib/ensure.mjs';

ensureNodeModules();
ensureApt({ '/usr/bin/chromium': 'chromium' });
run(process.execPath, [join(root, 'scripts', 'build.mjs')]);
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['bench/ui.ts'],
  outfile: 'out/bench/ui.js',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  external: ['playwright-core'],
});
run(process.execPath, ['--enable-source-maps', join(root, 'out', 'bench', 'ui.js')]);
