/** What `npm run package` puts in the .vsix (`vsce ls`, the same file list vsce packs). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const root = path.join(__dirname, '..', '..', '..');

test('the .vsix holds the bundles, the Python runtime, the samples and the media, and nothing else', () => {
  const out = execFileSync(process.execPath, [path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', '--no-dependencies'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  const files = new Set(
    out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  for (const f of [
    'package.json',
    'README.md',
    'dist/extension.js',
    'dist/cli.js',
    'dist/cli-record.js',
    'dist/cli-main.js',
    'dist/package.json',
    'dist/webview.js',
    'extension/python/forkscope_launch.py',
    'extension/vscode/python/sitecustomize.py',
    'extension/python/forkscope_child/sitecustomize.py',
    'samples/.vscode/launch.json',
  ]) {
    assert.ok(files.has(f), `${f} is packed`);
  }
  const runtime = fs.readdirSync(path.join(root, 'extension', 'python', 'forkscope_runtime')).filter((f) => f.endsWith('.py'));
  for (const f of runtime) assert.ok(files.has(`extension/python/forkscope_runtime/${f}`), `runtime ${f} is packed`);
  for (const f of fs.readdirSync(path.join(root, 'samples')).filter((f) => f.endsWith('.py')))
    assert.ok(files.has(`samples/${f}`), `sample ${f} is packed`);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const step of pkg.contributes.walkthroughs[0].steps) {
    const media: string[] = step.media.markdown ? [step.media.markdown] : Object.values(step.media.image);
    for (const f of media) assert.ok(files.has(f), `${f} is packed`);
  }
  const stray = [...files].filter((f) =>
    /^(node_modules|test|out|scripts|webview|bench|\.cache|\.ci)\/|\.map$|\.ts$|__pycache__|\.forkscope$/.test(f),
  );
  assert.deepEqual(stray, []);
});
