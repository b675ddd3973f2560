// `npm run bench:ui`: the inspector on generated recordings in headless
// Chromium: 1,000 processes and 200,000 messages (first paint, pan/zoom/scroll
// frame times, memory, live event → screen latency), then 10,000 processes and
// 2,000,000 messages (first paint, memory, frames). Writes bench-results/ui.json.
//   node scripts/bench-ui.mjs [--only big|huge] [--paints N] [--profile DIR]
// --profile writes a DevTools CPU profile (.cpuprofile) of each load and interaction to DIR.
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
run(process.execPath, ['--max-old-space-size=8192', '--enable-source-maps', join(root, 'out', 'bench', 'ui.js'), ...process.argv.slice(2)]);
