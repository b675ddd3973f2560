// `npm run package`: a production build (minified, no source maps), then
// forkscope-VERSION.vsix with @vscode/vsce. Dependencies are bundled into
// dist/, so vsce packs no node_modules (--no-dependencies); .vscodeignore
// keeps the rest out. Prints the file's size.
import { statSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNodeModules, root, run } from './lib/ensure.mjs';

ensureNodeModules();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const f of readdirSync(join(root, 'dist'))) if (f.endsWith('.map')) rmSync(join(root, 'dist', f));
run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--production']);
const out = join(root, `${pkg.name}-${pkg.version}.vsix`);
run(
  process.execPath,
  [
    join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--skip-license',
    '--no-rewrite-relative-links',
    '--out',
    out,
  ],
  { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'inherit', 'inherit'] },
);
const size = statSync(out).size;
console.log(`\n${out}: ${(size / 1024).toFixed(0)} KiB`);
