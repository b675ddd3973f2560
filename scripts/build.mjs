// One build for every bundle: the extension (VS Code host), the CLI / run
// supervisor (plain Node), and the webview (browser). `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// dist/cli.js starts as a shell script and is JavaScript after it: the script (extension/runtime/launcher.sh)
// sits in a JavaScript comment that the shell never reaches (it ends by exec-ing Node on this same file), so
// `forkscope` runs it and `node dist/cli.js` skips it. For the JavaScript, `":"` is a directive like "use strict".
// Node reads a source file that holds one character beyond ASCII as two-byte text: 1.5 ms more to read and
// compile dist/cli-record.js at every `forkscope record` (docs/cli.md, "How a run starts"). esbuild writes the
// code itself in ASCII (its default charset escapes strings, names and patterns) but keeps a comment's text as
// it is, so the Node bundles' comments get a "?" for each such character (the columns stay where they were).
const NON_ASCII = /[\u0080-\uffff]/g;
const launcherSh = readFileSync(join(root, 'extension', 'runtime', 'launcher.sh'), 'utf8');
if (launcherSh.includes('*/')) throw new Error('extension/runtime/launcher.sh must not contain "*/" (it would end the comment it sits in)');
const CLI_LAUNCHER = ['#!/bin/sh', '":" /*', launcherSh.trimEnd(), '*/'].join('\n');
for (const [i, line] of launcherSh.split('\n').entries())
  if (/[\u0080-\uffff]/.test(line) && !line.trimStart().startsWith('#'))
    throw new Error(`extension/runtime/launcher.sh:${i + 1}: a character beyond ASCII outside a comment (NON_ASCII above)`);

// esbuild imports a Node built-in module (`import * as fs from 'node:fs'`) as `__toESM(require("node:fs"))`,
// which copies every export of the module into a new object of getters, once per importing file: 37 copies
// in the CLI's two bundles, 10 ms of every `forkscope record`'s start on the way to its socket (docs/cli.md,
// "How a run starts"). Our code only reads properties of these namespaces, which the module itself has.
const BUILTIN_TO_ESM = /__toESM\(require\("(node:[a-z_/]+)"\)\)/g;
const nodeBundle = (outfile) => ({
  name: 'node-bundle',
  setup: (b) =>
    b.onEnd((r) => {
      if (r.errors.length) return;
      const file = join(root, outfile);
      const js = readFileSync(file, 'utf8').replace(BUILTIN_TO_ESM, 'require("$1")').replace(NON_ASCII, '?');
      if (js.includes('__toESM(require("node:')) throw new Error(`${outfile}: a built-in module is still imported through __toESM`);
      writeFileSync(file, js);
    }),
});

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  define: { __FORKSCOPE_VERSION__: JSON.stringify(pkg.version) },
  absWorkingDir: root,
};

const builds = [
  {
    ...common,
    entryPoints: ['extension/vscode/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    plugins: [nodeBundle('dist/extension.js')],
  },
  // The CLI is three bundles: dist/cli.js, small, starts a recorded script at once (launch.ts), then loads
  // while Python starts dist/cli-record.js (record and serve) or dist/cli-main.js (the whole CLI, every verb).
  {
    ...common,
    entryPoints: ['extension/runtime/cliEntry.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: CLI_LAUNCHER },
    // Executable, as npm makes a package's bin on install: dist/cli.js runs as `forkscope` from a clone too.
    plugins: [
      nodeBundle('dist/cli.js'),
      { name: 'executable', setup: (b) => b.onEnd((r) => r.errors.length || chmodSync(join(root, 'dist', 'cli.js'), 0o755)) },
    ],
  },
  {
    ...common,
    entryPoints: ['extension/runtime/cliRecord.ts'],
    outfile: 'dist/cli-record.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [nodeBundle('dist/cli-record.js')],
  },
  {
    ...common,
    entryPoints: ['extension/runtime/cli.ts'],
    outfile: 'dist/cli-main.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [nodeBundle('dist/cli-main.js')],
  },
  {
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
].filter((b) => existsSync(join(root, b.entryPoints[0])));

// `--tests`: every test/**/*.test.ts becomes out/test/**/*.test.js (one bundle each, for `node --test`).
if (process.argv.includes('--tests')) {
  const entries = readdirSync(join(root, 'test'), { recursive: true })
    .filter((f) => String(f).endsWith('.test.ts'))
    .map((f) => join('test', String(f)));
  // The real-VS-Code suite's entry (loaded by VS Code through --extensionTestsPath).
  if (existsSync(join(root, 'test', 'vscode', 'index.ts'))) entries.push(join('test', 'vscode', 'index.ts'));
  if (entries.length) {
    builds.push({
      ...common,
      logLevel: 'warning',
      entryPoints: entries,
      outdir: 'out/test',
      outbase: 'test',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode', 'playwright-core', 'mocha', '@vscode/test-electron'],
    });
  }
}

// `--bench`: the in-process benchmarks (bench/main.ts → out/bench/main.js).
if (process.argv.includes('--bench')) {
  builds.push({
    ...common,
    logLevel: 'warning',
    entryPoints: ['bench/main.ts'],
    outfile: 'out/bench/main.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  });
}

// The pure core compiles alone (core/tsconfig.json: ES2022, no DOM/node/vscode types), so an impure import fails the build.
const core = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'core'), '--noEmit'], {
  stdio: 'inherit',
});
if (core.status !== 0) {
  console.error('core/ does not compile on its own (see above): it must stay free of DOM, node and vscode.');
  process.exit(1);
}

mkdirSync(join(root, 'dist'), { recursive: true });
// Node reads the package.json nearest to each file it loads, to learn the file's module type: without this one
// it parses the project's (21 KB, the extension's whole manifest) at every start of the CLI (-7 ms of CPU).
writeFileSync(join(root, 'dist', 'package.json'), '{ "type": "commonjs" }\n');
// The Python runtime's bytecode for the interpreter at hand, as a user's Python caches it after a first run
// (it is not packaged: .vscodeignore ships sources only). Skipped quietly where there is no python3.
spawnSync('python3', ['-m', 'compileall', '-q', join(root, 'extension', 'python')], { stdio: 'ignore' });
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
