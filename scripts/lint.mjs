// `npm run lint`: every static check, each named as it runs; exits non-zero when one fails.
//   - TypeScript: the whole project, then core/ alone (its tsconfig has no DOM, node or vscode types,
//     so an impure import in the core does not compile);
//   - ESLint (eslint.config.mjs): typescript-eslint's recommended rules and the import boundaries
//     between core/, extension/ and webview/;
//   - Prettier (.prettierrc.json): the TypeScript and scripts are formatted (`npx prettier --write .` fixes);
//   - pyright (pyrightconfig.json): the Python runtime's type hints.
//   node scripts/lint.mjs [--fix] [--no-typescript]   (--fix lets ESLint and Prettier rewrite what they can;
//   --no-typescript leaves out the two TypeScript checks: `npm test` runs them before any layer)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNodeModules, root } from './lib/ensure.mjs';

const fix = process.argv.includes('--fix');
const typescript = !process.argv.includes('--no-typescript');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const TS = ['extension', 'webview', 'test', 'bench', 'scripts'].concat(existsSync(join(root, 'core')) ? ['core'] : []);

ensureNodeModules();
const checks = [
  ...(typescript ? [['typescript', bin('tsc'), ['-p', '.', '--noEmit']]] : []),
  ...(typescript && existsSync(join(root, 'core', 'tsconfig.json'))
    ? [['typescript (core/ alone)', bin('tsc'), ['-p', 'core', '--noEmit']]]
    : []),
  ['eslint', bin('eslint'), [...(fix ? ['--fix'] : []), ...TS]],
  ['prettier', bin('prettier'), [fix ? '--write' : '--check', '--log-level', 'warn', '.']],
  ['pyright', bin('pyright'), ['-p', 'pyrightconfig.json']],
];
const failed = [];
for (const [name, cmd, args] of checks) {
  if (name === 'pyright' && !existsSync(join(root, 'pyrightconfig.json'))) continue;
  console.log(`\n--- ${name} ---`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed.push(name);
}
console.log(failed.length ? `\nlint: failed: ${failed.join(', ')}` : '\nlint: all checks passed');
process.exitCode = failed.length ? 1 : 0;
